ALTER TABLE `kept_forms` ADD `route` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `kept_forms` ADD `address` text;--> statement-breakpoint
CREATE INDEX `kept_forms_user_idx` ON `kept_forms` (`user_id`);--> statement-breakpoint
CREATE INDEX `kept_forms_address_idx` ON `kept_forms` (`address`);