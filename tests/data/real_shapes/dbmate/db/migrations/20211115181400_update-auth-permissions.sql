-- migrate:up

-- update auth schema permissions
insert or ignore into grants (role, target, privilege) values ('supabase_auth_admin', 'schema auth', 'ALL PRIVILEGES');
insert or ignore into grants (role, target, privilege) values ('postgres', 'schema auth', 'USAGE');

-- migrate:down
