-- Verify clients
SELECT id FROM clients WHERE false;
