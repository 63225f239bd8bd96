-- Deploy sequence-round_seq
BEGIN;
CREATE TABLE sequence_round_seq (id integer);
COMMIT;
