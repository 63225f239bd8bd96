-- Deploy cookbooks
BEGIN;
CREATE TABLE cookbooks (id integer);
COMMIT;
