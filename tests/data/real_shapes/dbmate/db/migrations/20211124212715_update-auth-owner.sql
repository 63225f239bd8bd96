-- migrate:up

-- update owner for auth.uid, auth.role and auth.email functions
-- (upstream: DO $$ BEGIN ALTER FUNCTION ... EXCEPTION WHEN OTHERS THEN RAISE WARNING ... END $$;)
insert or ignore into grants (role, target, privilege) values ('supabase_auth_admin', 'function auth.uid', 'OWNER');
insert or ignore into grants (role, target, privilege) values ('supabase_auth_admin', 'function auth.role', 'OWNER');
insert or ignore into grants (role, target, privilege) values ('supabase_auth_admin', 'function auth.email', 'OWNER');

-- migrate:down
