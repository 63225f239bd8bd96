-- Deploy nodes
BEGIN;
CREATE TABLE nodes (id integer);
COMMIT;
