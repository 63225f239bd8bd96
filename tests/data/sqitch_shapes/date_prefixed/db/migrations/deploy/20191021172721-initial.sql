-- Deploy 20191021172721-initial
BEGIN;
CREATE TABLE t_initial (id integer);
COMMIT;
