"""Use cases that change data: one public function each. They take the session and the
acting user as arguments, flush but never commit, and raise DomainError on a broken rule."""
