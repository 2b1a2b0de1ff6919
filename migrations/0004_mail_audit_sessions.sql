CREATE TABLE `clause_versions` (
	`version` text PRIMARY KEY NOT NULL,
	`text` text NOT NULL,
	`first_shown_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`dedup_key` text NOT NULL,
	`kind` text NOT NULL,
	`recipient` text NOT NULL,
	`subscription_id` integer,
	`proposal_id` integer,
	`event_id` integer,
	`payload` text NOT NULL,
	`state` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`available_at` text NOT NULL,
	`locked_until` text,
	`last_error` text,
	`message_id` text NOT NULL,
	`sent_in_id` integer,
	`subject` text,
	`created_at` text NOT NULL,
	`sent_at` text,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_dedup_uq` ON `outbox` (`dedup_key`);--> statement-breakpoint
CREATE INDEX `outbox_due_idx` ON `outbox` (`state`,`available_at`);--> statement-breakpoint
CREATE INDEX `outbox_recipient_idx` ON `outbox` (`recipient`);--> statement-breakpoint
CREATE TABLE `subscriber_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`token_hash` text NOT NULL,
	`purpose` text NOT NULL,
	`email` text NOT NULL,
	`subscription_id` integer,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscriber_tokens_hash_uq` ON `subscriber_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `subscriber_tokens_email_idx` ON `subscriber_tokens` (`email`);--> statement-breakpoint
CREATE TABLE `subscription_withdrawals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`scope_kind` text NOT NULL,
	`scope_id` integer NOT NULL,
	`clause_version` text NOT NULL,
	`requested_at` text NOT NULL,
	`confirmed_at` text,
	`withdrawn_at` text NOT NULL,
	`how` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`scope_kind` text NOT NULL,
	`scope_id` integer NOT NULL,
	`frequency` text DEFAULT 'immediate' NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`clause_version` text NOT NULL,
	`requested_at` text NOT NULL,
	`confirmed_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_email_scope_uq` ON `subscriptions` (`email`,`scope_kind`,`scope_id`);--> statement-breakpoint
CREATE INDEX `subscriptions_scope_idx` ON `subscriptions` (`scope_kind`,`scope_id`,`state`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor_id` integer,
	`action` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` integer,
	`subject_label` text DEFAULT '' NOT NULL,
	`before` text,
	`after` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`actor_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `audit_log_created_idx` ON `audit_log` (`created_at`);--> statement-breakpoint
ALTER TABLE `sessions` ADD `user_id` integer REFERENCES users(id);--> statement-breakpoint
ALTER TABLE `sessions` ADD `created_at` integer;--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);