-- Deploy 20200217192155-tiebreak
BEGIN;
CREATE TABLE t_tiebreak (id integer);
COMMIT;
