"""HTTP routes of the trivia context. Every route needs a bearer token; the player is who the
token says, never a body, path or query field."""

# No ``from __future__ import annotations``: FastAPI must see the route-local ``Player``
# dependency type itself, not its name.
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response as HTTPResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.convertors import StringConvertor, register_url_convertor

from domain.trivia.errors import InvalidTokenError
from domain.trivia.market import coins
from domain.trivia.service import MarketService, TriviaService
from entrypoints.http.edge import EdgeRoute, body_limit
from entrypoints.http.errors import problems
from entrypoints.http.models.games import (
    AnswersInput,
    GameBody,
    GameDetailBody,
    GamesBody,
    JwksBody,
    ProgressBody,
    ScoredPlayBody,
)
from entrypoints.http.models.market import (
    LISTING_ID,
    GrantBody,
    GrantInput,
    ListingBody,
    ListingInput,
    MarketplaceBody,
    PurchaseBody,
    WalletBody,
)
from entrypoints.http.models.profiles import PlayersPageBody
from entrypoints.http.models.trivia import (
    QUIZ_ID,
    Cursor,
    MyQuizzesBody,
    QuizBody,
    QuizInput,
    QuizSummaryBody,
)
from ports.trivia import TokenVerifier

if TYPE_CHECKING:
    from domain.leaderboards.model import Page
    from entrypoints.composition.trivia_profiles import ProfilesContext

#: A quiz at every limit (100 questions of the longest texts, in 4-byte characters) is
#: under 2 MB of JSON; a real one is a few kilobytes.
QUIZ_BODY_BYTES = 2 * 1024 * 1024
#: 100 answers of at most 200 characters.
ANSWERS_BODY_BYTES = 128 * 1024
SMALL_BODY_BYTES = 4 * 1024

QuizId = Annotated[str, Path(pattern=f"^(?:{QUIZ_ID})$", examples=["demo-1"])]
ListingId = Annotated[str, Path(pattern=f"^{LISTING_ID}$")]


class QuizIdConvertor(StringConvertor):
    """``{quiz_id:quiz_id}``: a path segment that is a quiz id, so ``/quizzes/mine`` is only
    ever the list of one's quizzes (a 405 there names GET alone)."""

    regex = QUIZ_ID


register_url_convertor("quiz_id", QuizIdConvertor())
Username = Annotated[str, Path(min_length=1, max_length=128)]
bearer = HTTPBearer(
    auto_error=False, bearerFormat="JWT", description="An ID token of the identity provider."
)


def player_dependency(tokens: TokenVerifier) -> Callable[..., Awaitable[str]]:
    """The dependency naming a request's player: who its bearer token says."""

    async def player(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> str:
        if credentials is None:
            raise InvalidTokenError("A bearer token is required (Authorization: Bearer <JWT>).")
        return await tokens.verify(credentials.credentials)

    return player


def trivia_router(
    service: TriviaService,
    market: MarketService,
    tokens: TokenVerifier,
    profiles: Callable[[], "ProfilesContext"],
) -> APIRouter:
    """The trivia routes, each for a verified bearer token's player (``profiles``, built on
    first use, joins the players' thumbnails onto the boards)."""
    router = APIRouter(tags=["trivia"], route_class=EdgeRoute, responses=problems(401, 503))
    Player = Annotated[str, Depends(player_dependency(tokens))]

    @router.post(
        "/quizzes",
        status_code=201,
        response_model=QuizBody,
        openapi_extra=body_limit(QUIZ_BODY_BYTES),
    )
    async def create_quiz(quiz: QuizInput, me: Player) -> QuizBody:
        """A new quiz of yours (not yet a game: activate a single-player one; the other modes
        are hosted)."""
        return QuizBody.of(await service.create(me, quiz.content()))

    @router.get("/quizzes/mine", response_model=MyQuizzesBody)
    async def my_quizzes(me: Player) -> MyQuizzesBody:
        return MyQuizzesBody(quizzes=[QuizSummaryBody.of(q) for q in await service.mine(me)])

    @router.get("/quizzes/{quiz_id:quiz_id}", response_model=QuizBody, responses=problems(403, 404))
    async def get_quiz(quiz_id: QuizId, me: Player) -> QuizBody:
        """Your quiz, answers included."""
        return QuizBody.of(await service.owned(me, quiz_id))

    @router.put(
        "/quizzes/{quiz_id:quiz_id}",
        response_model=QuizBody,
        responses=problems(403, 404, 409),
        openapi_extra=body_limit(QUIZ_BODY_BYTES),
    )
    async def put_quiz(quiz_id: QuizId, quiz: QuizInput, me: Player) -> QuizBody:
        """Replace your quiz (not a bought copy: 403; not while it is listed: 409)."""
        return QuizBody.of(await service.update(me, quiz_id, quiz.content()))

    @router.delete("/quizzes/{quiz_id:quiz_id}", status_code=204, responses=problems(403, 404))
    async def delete_quiz(quiz_id: QuizId, me: Player) -> None:
        """Delete your quiz; a listing of it is withdrawn first."""
        await service.delete(me, quiz_id)

    @router.post(
        "/quizzes/{quiz_id:quiz_id}/activate",
        response_model=QuizSummaryBody,
        responses=problems(403, 404),
    )
    async def activate(quiz_id: QuizId, me: Player) -> QuizSummaryBody:
        """List your single-player quiz as a game under its category (again: no change);
        403 for a quiz of another mode, which is hosted as a live game, never listed."""
        return QuizSummaryBody.of(await service.activate(me, quiz_id))

    @router.get("/games", response_model=GamesBody)
    async def games(
        _: Player,
        category: Annotated[str | None, Query(max_length=50)] = None,
        cursor: Annotated[Cursor | None, Query()] = None,
    ) -> GamesBody:
        """Active games, newest first, 20 a page."""
        page, following = await service.games(category, cursor)
        return GamesBody(games=[GameBody(**GameBody.fields_of(q)) for q in page], cursor=following)

    @router.get("/games/{quiz_id:quiz_id}", response_model=GameDetailBody, responses=problems(404))
    async def game(quiz_id: QuizId, _: Player) -> GameDetailBody:
        """A game's questions, never their answers."""
        return GameDetailBody.of(await service.game(quiz_id))

    @router.post(
        "/games/{quiz_id:quiz_id}/answers",
        response_model=ScoredPlayBody,
        responses=problems(404),
        openapi_extra=body_limit(ANSWERS_BODY_BYTES),
    )
    async def answers(quiz_id: QuizId, play: AnswersInput, me: Player) -> HTTPResponse:
        """Score your answers; the answer board tells what was right."""
        scored, recorded = await service.play(me, quiz_id, play.answers())
        return ScoredPlayBody.response(scored, recorded)

    @router.get(
        "/games/{quiz_id:quiz_id}/leaderboard",
        response_model=PlayersPageBody,
        responses=problems(404),
    )
    async def leaderboard(request: Request, quiz_id: QuizId, me: Player) -> PlayersPageBody:
        """The quiz's top 10 (members are usernames) and the caller's own entry, each with
        the player's thumbnail."""
        return await players_page(request, profiles(), await service.leaderboard(quiz_id, me))

    @router.get("/players/{username}/progress", response_model=ProgressBody)
    async def progress(username: Username, _: Player) -> ProgressBody:
        """Anyone's progress, for any authenticated player."""
        return ProgressBody.of(await service.progress(username))

    @router.get("/wallet", response_model=WalletBody)
    async def wallet(me: Player) -> WalletBody:
        return WalletBody(balance=coins(await market.balance(me)))

    @router.post(
        "/wallet/grants",
        status_code=201,
        response_model=GrantBody,
        responses=problems(409),
        openapi_extra=body_limit(SMALL_BODY_BYTES),
    )
    async def grant(request: GrantInput, me: Player) -> GrantBody:
        """Today's 200 coins (once per UTC day: 409 after); a retry with the same
        ``requestToken`` replays the first answer."""
        return GrantBody.of(await market.grant(me, request.request_token))

    @router.post(
        "/marketplace/listings",
        status_code=201,
        response_model=ListingBody,
        responses=problems(403, 404, 409),
        openapi_extra=body_limit(SMALL_BODY_BYTES),
    )
    async def list_quiz(listing: ListingInput, me: Player) -> ListingBody:
        """Sell one of your original quizzes (not a purchased copy), once."""
        return ListingBody.of(await market.list_quiz(me, listing.quiz_id, listing.price))

    @router.get("/marketplace", response_model=MarketplaceBody)
    async def marketplace(
        _: Player, cursor: Annotated[Cursor | None, Query()] = None
    ) -> MarketplaceBody:
        """Listings, newest first, 20 a page."""
        page, following = await market.listings(cursor)
        return MarketplaceBody(listings=[ListingBody.of(i) for i in page], cursor=following)

    @router.get(
        "/marketplace/listings/{listing_id}", response_model=ListingBody, responses=problems(404)
    )
    async def listing(listing_id: ListingId, _: Player) -> ListingBody:
        return ListingBody.of(await market.listing(listing_id))

    @router.delete(
        "/marketplace/listings/{listing_id}", status_code=204, responses=problems(403, 404)
    )
    async def withdraw(listing_id: ListingId, me: Player) -> None:
        """Take your listing off the marketplace."""
        await market.withdraw(me, listing_id)

    @router.post(
        "/marketplace/listings/{listing_id}/purchase",
        response_model=PurchaseBody,
        responses=problems(403, 409),
    )
    async def purchase(listing_id: ListingId, me: Player) -> PurchaseBody:
        """Buy a listing: your own playable copy of the quiz, and your balance after. 409
        when it is sold or gone, 422 when your balance is below the price."""
        copy, balance = await market.purchase(me, listing_id)
        return PurchaseBody(quiz_id=copy.quiz_id, balance=coins(balance))

    return router


def identity_router(jwks: Callable[[], dict[str, Any]]) -> APIRouter:
    """``/.well-known/jwks.json`` of the embedded development identity provider."""
    router = APIRouter(tags=["identity"], route_class=EdgeRoute)

    @router.get("/.well-known/jwks.json", response_model=JwksBody)
    async def jwks_document() -> dict[str, Any]:
        """The development identity provider's public key (embedded default only)."""
        return jwks()

    return router


async def players_page(
    request: Request, profiles: "ProfilesContext", page: "Page"
) -> PlayersPageBody:
    """A trivia board's page with each player's thumbnail, read now in one batch."""
    from entrypoints.http.profiles import absolute

    avatars = await profiles.profiles.avatars(page)
    return PlayersPageBody.of(page, avatars, absolute(request, profiles.urls))
