"""The cold-start baseline: the smallest FastAPI + Mangum Lambda serving one route."""

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/stock/{stock_id}")
async def stock(stock_id: str) -> dict[str, str]:
    return {"stock": stock_id}


handler = Mangum(app, lifespan="off")
