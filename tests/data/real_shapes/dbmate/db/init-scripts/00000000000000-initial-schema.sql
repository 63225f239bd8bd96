-- migrate:up

-- Supabase super admin and friends (upstream: CREATE USER / ALTER USER on Postgres;
-- adapted to SQLite as rows in a table)
create table if not exists roles (name text primary key, attributes text not null default '');
insert or ignore into roles (name, attributes) values ('supabase_admin', 'superuser createdb createrole replication bypassrls');
insert or ignore into roles (name, attributes) values ('supabase_replication_admin', 'login replication');
insert or ignore into roles (name, attributes) values ('supabase_read_only_user', 'login bypassrls');
create table if not exists grants (role text not null, target text not null, privilege text not null, primary key (role, target, privilege));

-- migrate:down
