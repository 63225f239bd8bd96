-- migrate:up

-- update realtime schema permissions
insert or ignore into grants (role, target, privilege) values ('postgres', 'schema realtime', 'USAGE');
insert or ignore into grants (role, target, privilege) values ('dashboard_user', 'all tables in schema realtime', 'ALL');

-- migrate:down
