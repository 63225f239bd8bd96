-- Revert sequence-round_seq
BEGIN;
DROP TABLE sequence_round_seq;
COMMIT;
