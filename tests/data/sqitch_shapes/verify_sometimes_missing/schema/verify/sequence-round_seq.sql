-- Verify sequence-round_seq
SELECT id FROM sequence_round_seq WHERE false;
