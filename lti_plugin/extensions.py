"""Flask extensions, created unbound and bound in create_app()."""
from flask_caching import Cache
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
cache = Cache()
csrf = CSRFProtect()
