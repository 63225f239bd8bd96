-- Trimmed for migration-guard's tests (upstream file is ~940 lines).
CREATE TYPE role_category AS enum ('global', 'project', 'organization');

CREATE TABLE users (id bigserial PRIMARY KEY, name varchar(255) NOT NULL UNIQUE);
CREATE TABLE roles (id bigserial PRIMARY KEY, category role_category NOT NULL, permission bit(64) NOT NULL DEFAULT '0'::bit(64));
CREATE TABLE user_global_roles (user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE, role_id bigint NOT NULL REFERENCES roles ON DELETE CASCADE, PRIMARY KEY (user_id, role_id));
CREATE TABLE api_keys (id bigserial PRIMARY KEY, owner_id bigint NOT NULL REFERENCES users ON DELETE CASCADE, token_identifier varchar(255) NOT NULL, token varchar(255) NOT NULL);
CREATE TABLE user_credentials (id bigserial PRIMARY KEY, user_id bigint NOT NULL, CONSTRAINT user_credentials_users_id_fk FOREIGN KEY (user_id) REFERENCES users (id));
CREATE TABLE project_versions_downloads (day date NOT NULL, version_id bigint NOT NULL, downloads integer NOT NULL DEFAULT 0, PRIMARY KEY (day, version_id));
CREATE TABLE project_versions_downloads_individual (id bigserial PRIMARY KEY, version_id bigint NOT NULL, cookie varchar(36) NOT NULL, user_id bigint REFERENCES users ON DELETE SET NULL);
