"""The default world: one app, three users, five restaurant Pages (spec: issue 3 §2).

Ids are fixed so that developers and tests can refer to them; they have Meta's shapes
(15-17 digit numeric strings, Instagram ids starting with 1784).
"""

from __future__ import annotations

from sandbox.state import (
    ALL_TASKS,
    TABLECAST_SCOPES,
    App,
    Business,
    IGAccount,
    Page,
    Post,
    User,
    World,
)

MARIA_ID = "10160000000000001"
TOM_ID = "10160000000000002"
ANA_ID = "10160000000000003"
TRATTORIA_ID = "104512398765001"
PIZZERIA_ID = "104512398765002"
OSTERIA_ID = "104512398765003"
GOLDEN_SPOON_ID = "104512398765004"
BAKERS_ID = "104512398765005"
TRATTORIA_IG_ID = "17841400000000001"
GOLDEN_SPOON_IG_ID = "17841400000000002"
ROSSI_BUSINESS_ID = "203456789012345"
TABLECAST_CONFIG_ID = "987654321098765"


def seed_app(world: World) -> App:
    """The app from the start-up config, with app-level webhook subscriptions (§8)."""
    config = world.config
    app = App(
        id=config.app_id,
        secret=config.app_secret,
        name="Tablecast (sandbox)",
        redirect_uris=list(config.redirect_uris or []),
        require_proof=config.require_appsecret_proof,
        configs={TABLECAST_CONFIG_ID: list(TABLECAST_SCOPES)},
        callback_url=config.webhook_url or None,
        verify_token=config.verify_token,
        deauthorize_url=config.deauthorize_url or None,
        data_deletion_url=config.data_deletion_url or None,
        subscriptions={
            "page": [
                "feed",
                "messages",
                "message_echoes",
                "messaging_postbacks",
                "message_reactions",
                "message_reads",
            ],
            "instagram": [
                "comments",
                "messages",
                "messaging_postbacks",
                "message_reactions",
                "messaging_seen",
                "mentions",
            ],
        },
    )
    world.apps[app.id] = app
    return app


def seed_default_world(world: World) -> None:
    """Users, Pages and a welcome post per Page; no grants or tokens yet."""
    with world.lock:
        seed_app(world)
        if world.config.empty_world:
            return
        world.businesses[ROSSI_BUSINESS_ID] = Business(ROSSI_BUSINESS_ID, "Rossi Hospitality Group")
        pages = [
            Page(
                TRATTORIA_ID,
                "Trattoria da Maria",
                "Italian Restaurant",
                ig_id=TRATTORIA_IG_ID,
                about="Handmade pasta in the old town since 1987.",
                followers_count=2841,
            ),
            Page(
                PIZZERIA_ID,
                "Pizzeria Bella Napoli",
                "Pizza Place",
                about="Wood-fired Neapolitan pizza.",
                followers_count=1310,
            ),
            Page(
                OSTERIA_ID,
                "Osteria del Porto",
                "Seafood Restaurant",
                business_id=ROSSI_BUSINESS_ID,
                about="Fresh fish from the harbour every morning.",
                followers_count=920,
            ),
            Page(
                GOLDEN_SPOON_ID,
                "The Golden Spoon",
                "Restaurant",
                ig_id=GOLDEN_SPOON_IG_ID,
                about="Seasonal British cooking.",
                followers_count=4102,
            ),
            Page(
                BAKERS_ID,
                "Baker's Corner Café",
                "Café",
                about="Sourdough, pastries and flat whites.",
                followers_count=655,
            ),
        ]
        for page in pages:
            world.pages[page.id] = page
        world.ig_accounts[TRATTORIA_IG_ID] = IGAccount(
            TRATTORIA_IG_ID,
            "trattoriadamaria",
            "Trattoria da Maria",
            TRATTORIA_ID,
            biography="Pasta fresca ogni giorno 🍝",
            website="https://trattoria.example",
            followers_count=5230,
            follows_count=311,
        )
        world.ig_accounts[GOLDEN_SPOON_IG_ID] = IGAccount(
            GOLDEN_SPOON_IG_ID,
            "thegoldenspoon",
            "The Golden Spoon",
            GOLDEN_SPOON_ID,
            biography="Seasonal plates, London.",
            website="https://goldenspoon.example",
            followers_count=8120,
            follows_count=402,
        )
        world.users[MARIA_ID] = User(
            MARIA_ID,
            "Maria Rossi",
            "maria.rossi@example.com",
            pages={TRATTORIA_ID: list(ALL_TASKS), PIZZERIA_ID: list(ALL_TASKS)},
            business_pages={OSTERIA_ID: ROSSI_BUSINESS_ID},
        )
        world.users[TOM_ID] = User(
            TOM_ID,
            "Tom Baker",
            "tom.baker@example.com",
            pages={
                GOLDEN_SPOON_ID: list(ALL_TASKS),
                BAKERS_ID: ["ANALYZE", "CREATE_CONTENT", "MODERATE"],
            },
        )
        world.users[ANA_ID] = User(ANA_ID, "Ana Lima", "ana.lima@example.com")
        created = int(world.now()) - 7 * 86400
        for index, page in enumerate(pages):
            post_id = f"{page.id}_{122100000000000 + index}"
            world.posts[post_id] = Post(
                post_id,
                page.id,
                f"Welcome to {page.name}! Book a table today.",
                "status",
                published=True,
                created_time=created + index * 3600,
                from_app=False,
            )
