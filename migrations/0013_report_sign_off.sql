ALTER TABLE `consultation_reports` ADD `prepared_by` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `consultation_reports` ADD `approved_by` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `consultation_reports` ADD `approved_on` text;