CREATE TABLE `consultation_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`consultation_id` integer NOT NULL,
	`legal_basis` text DEFAULT '' NOT NULL,
	`start_date` text,
	`end_date` text,
	`form` text DEFAULT '' NOT NULL,
	`announced_in` text DEFAULT '' NOT NULL,
	`remarks` text DEFAULT '' NOT NULL,
	`updated_at` text NOT NULL,
	`updated_by` integer,
	FOREIGN KEY (`consultation_id`) REFERENCES `consultations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`updated_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `consultation_reports_consultation_uq` ON `consultation_reports` (`consultation_id`);--> statement-breakpoint
CREATE TABLE `rdpp_opinions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`consultation_id` integer NOT NULL,
	`date` text NOT NULL,
	`text` text NOT NULL,
	`attachment_name` text DEFAULT '' NOT NULL,
	`created_at` text NOT NULL,
	`created_by` integer,
	FOREIGN KEY (`consultation_id`) REFERENCES `consultations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `rdpp_opinions_consultation_idx` ON `rdpp_opinions` (`consultation_id`,`date`);