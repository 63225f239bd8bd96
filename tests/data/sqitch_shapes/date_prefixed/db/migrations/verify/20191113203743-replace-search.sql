-- Verify 20191113203743-replace-search
SELECT id FROM t_replace_search WHERE false;
