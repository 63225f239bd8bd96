-- Deploy clients
BEGIN;
CREATE TABLE clients (id integer);
COMMIT;
