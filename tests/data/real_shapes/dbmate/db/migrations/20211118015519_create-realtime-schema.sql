-- migrate:up

-- create realtime schema for Realtime RLS (WALRUS)
create table if not exists realtime_subscription (id integer primary key, entity text not null);

-- migrate:down
