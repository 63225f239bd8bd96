-- Deploy node_policy
BEGIN;
CREATE TABLE node_policy (id integer);
COMMIT;
