-- Verify 20191021172721-initial
SELECT id FROM t_initial WHERE false;
