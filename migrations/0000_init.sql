CREATE TABLE `consultations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`title` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `consultations_slug_uq` ON `consultations` (`slug`);--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `workshop_tables` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`consultation_id` integer NOT NULL,
	`number` integer NOT NULL,
	`theme` text NOT NULL,
	`theme_legible` integer NOT NULL,
	`moderators` text NOT NULL,
	FOREIGN KEY (`consultation_id`) REFERENCES `consultations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `workshop_tables_consultation_number_uq` ON `workshop_tables` (`consultation_id`,`number`);--> statement-breakpoint
CREATE TABLE `unit_group_members` (
	`group_id` integer NOT NULL,
	`unit_id` integer NOT NULL,
	PRIMARY KEY(`group_id`, `unit_id`),
	FOREIGN KEY (`group_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `unit_group_members_unit_idx` ON `unit_group_members` (`unit_id`);--> statement-breakpoint
CREATE TABLE `units` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`slug` text NOT NULL,
	`kind` text NOT NULL,
	`email` text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `units_name_uq` ON `units` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `units_slug_uq` ON `units` (`slug`);--> statement-breakpoint
CREATE TABLE `proposal_units` (
	`proposal_id` integer NOT NULL,
	`unit_id` integer NOT NULL,
	`ordinal` integer NOT NULL,
	PRIMARY KEY(`proposal_id`, `unit_id`),
	FOREIGN KEY (`proposal_id`) REFERENCES `proposals`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `proposal_units_unit_idx` ON `proposal_units` (`unit_id`);--> statement-breakpoint
CREATE TABLE `proposals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`consultation_id` integer NOT NULL,
	`lp` integer NOT NULL,
	`lp_deduced` integer NOT NULL,
	`in_source` integer NOT NULL,
	`workshop_table_id` integer,
	`title` text NOT NULL,
	`points` text NOT NULL,
	`remarks` text NOT NULL,
	`source_notes` text NOT NULL,
	`status` text DEFAULT 'nowa' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`consultation_id`) REFERENCES `consultations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`workshop_table_id`) REFERENCES `workshop_tables`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `proposals_consultation_lp_uq` ON `proposals` (`consultation_id`,`lp`);--> statement-breakpoint
CREATE INDEX `proposals_status_idx` ON `proposals` (`consultation_id`,`status`);--> statement-breakpoint
CREATE INDEX `proposals_table_idx` ON `proposals` (`workshop_table_id`);