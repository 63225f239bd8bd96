-- Revert 20191021172721-initial
BEGIN;
DROP TABLE t_initial;
COMMIT;
