ALTER TABLE `position_versions` ADD `on_behalf` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `position_versions` ADD `basis_kind` text;--> statement-breakpoint
ALTER TABLE `position_versions` ADD `basis_date` text;--> statement-breakpoint
ALTER TABLE `positions` ADD `basis_kind` text;--> statement-breakpoint
ALTER TABLE `positions` ADD `basis_date` text;