-- Revert 20200217192155-tiebreak
BEGIN;
DROP TABLE t_tiebreak;
COMMIT;
