"""Page modules: each defines `router` (a FastAPI APIRouter); `web.app` includes them all."""
