-- Verify tables/project
SELECT id FROM tables_project WHERE false;
