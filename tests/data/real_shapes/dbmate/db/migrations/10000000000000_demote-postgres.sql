-- migrate:up

-- demote postgres user
insert or ignore into grants (role, target, privilege) values ('postgres', 'database postgres', 'ALL');
insert or ignore into grants (role, target, privilege) values ('postgres', 'schema auth', 'ALL');
update roles set attributes = 'nosuperuser' where name = 'postgres';

-- migrate:down
