-- Verify balances
SELECT id FROM balances WHERE false;
