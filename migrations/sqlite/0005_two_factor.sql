-- Two-factor sign-in and role changes in the users read model (fed by the `users` projection).
ALTER TABLE users ADD COLUMN two_factor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN recovery_codes_left BIGINT NOT NULL DEFAULT 0;
