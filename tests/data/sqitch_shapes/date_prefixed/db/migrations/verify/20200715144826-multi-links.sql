-- Verify 20200715144826-multi-links
SELECT id FROM t_multi_links WHERE false;
