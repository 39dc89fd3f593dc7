"""Flask extensions, created unbound and bound in create_app()."""
from flask_caching import Cache
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .models.base import Base

# Objects keep what they hold after a commit: a view that commits and then renders does not
# reload every row it already has (a launch page would otherwise re-read each one).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
cache = Cache()
csrf = CSRFProtect()
