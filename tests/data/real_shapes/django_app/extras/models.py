# Empty on purpose: the fixture only exercises the migrations.
