-- migrate:up

-- auth schema (upstream: CREATE SCHEMA auth + tables; SQLite has no schemas, so a prefix)
create table if not exists auth_users (
  id text primary key,
  email text,
  created_at text
);
insert or ignore into roles (name, attributes) values ('supabase_auth_admin', 'noinherit createrole login');

-- migrate:down
