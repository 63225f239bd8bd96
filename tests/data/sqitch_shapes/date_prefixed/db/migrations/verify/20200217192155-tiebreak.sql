-- Verify 20200217192155-tiebreak
SELECT id FROM t_tiebreak WHERE false;
