-- Verify validators
SELECT id FROM validators WHERE false;
