"""Stand-in for the peewee ORM: the names a star import of it gives the revision file."""


class Model:
    pass


class TextField:
    def __init__(self, default=None):
        self.default = default
