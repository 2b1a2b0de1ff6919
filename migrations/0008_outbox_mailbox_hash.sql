ALTER TABLE `outbox` ADD `mailbox_hash` text;--> statement-breakpoint
CREATE INDEX `outbox_mailbox_idx` ON `outbox` (`mailbox_hash`,`created_at`);