"""The practice LMS: a small LTI 1.3 platform for trying Rapport and for testing it.

Built on lti1p3platform, an LTI platform implementation independent of Rapport and of
pylti1p3. Rapport's own code never imports this package.
"""
from .app import create_platform

__all__ = ["create_platform"]
