CREATE TABLE `unit_former_slugs` (
	`slug` text PRIMARY KEY NOT NULL,
	`unit_id` integer NOT NULL,
	`retired_at` text NOT NULL,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `unit_former_slugs_unit_idx` ON `unit_former_slugs` (`unit_id`);