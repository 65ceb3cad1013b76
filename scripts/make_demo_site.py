"""Generate the demo site shipped in ``src/thresher/demo/site`` (run once; output is committed).

A fictional regional newspaper in four languages: every page repeats the same navigation,
cookie banner, sidebar and footer; a few articles are republished under a second URL; a
``/private/`` folder is disallowed by robots.txt; a sitemap lists every article (one of them is
linked from nowhere else). Paragraphs are assembled from sentence templates with a fixed seed,
so the text is varied, natural enough for language id, and reproducible.
"""

from __future__ import annotations

import html
import random
import shutil
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "thresher" / "demo" / "site"
BASE = "http://demo.invalid"  # replaced by the real address when the server starts

LANGS = {
    "en": {
        "name": "English",
        "section": "News",
        "read": "Read more",
        "popular": "Popular this week",
        "cookie": "We use cookies to improve your experience. Accept all cookies?",
        "footer": "© 2026 Harbour Valley Gazette. All rights reserved. Contact the newsroom.",
        "by": "By",
        "places": [
            "the harbour",
            "the old town",
            "the river valley",
            "the northern hills",
            "the market square",
            "the railway station",
            "the public library",
            "the fishing village",
            "the city council",
            "the botanical garden",
        ],
        "people": [
            "local farmers",
            "the mayor",
            "young volunteers",
            "several teachers",
            "a group of engineers",
            "the museum staff",
            "retired sailors",
            "shop owners",
            "the regional water board",
            "students from the college",
        ],
        "things": [
            "a new bicycle path",
            "the summer festival",
            "the repair of the bridge",
            "a community garden",
            "the restoration of the lighthouse",
            "cheaper bus tickets",
            "the flood defences",
            "a weekly farmers market",
            "the new solar roofs",
            "a reading club for children",
        ],
        "times": [
            "last Tuesday",
            "early this spring",
            "after a long winter",
            "in recent weeks",
            "since the autumn",
            "on Saturday morning",
            "during the holidays",
            "for the third year in a row",
        ],
        "templates": [
            "Nobody expected that {X} would become the main topic of conversation in {L}.",
            "Old maps kept in the archive suggest that {L} looked very different a century ago.",
            "{P} admitted {T} that the budget for {X} is still not settled.",
            "Children from the neighbourhood painted posters about {X} for the town hall.",
            "Weather permitting, the first stage of work near {L} should be finished before winter.",
            "Readers who want to share an opinion on {X} can write to the letters page.",
            "{P} met at {L} {T} to discuss {X}.",
            "According to {P}, {X} will change daily life around {L}.",
            "{T}, {P} presented a plan for {X} that costs less than expected.",
            "Many residents near {L} say that {X} was long overdue.",
            "The debate about {X} has divided {P} for months.",
            "{P} hope that {X} will attract more visitors to {L}.",
            "Critics argue that {X} ignores the needs of people living near {L}.",
            "A survey published {T} shows that most families support {X}.",
            "{P} will meet again next month, and a final decision on {X} is expected soon.",
            "Photographs taken at {L} show how much has changed since {X} began.",
        ],
        "titles": ["{X} at {L}", "What {P} think of {X}", "A new chapter for {L}"],
    },
    "fr": {
        "name": "Français",
        "section": "Actualités",
        "read": "Lire la suite",
        "popular": "Les plus lus cette semaine",
        "cookie": "Nous utilisons des cookies pour améliorer votre expérience. Tout accepter ?",
        "footer": "© 2026 Gazette de la Vallée du Port. Tous droits réservés. Écrire à la rédaction.",
        "by": "Par",
        "places": [
            "le port",
            "la vieille ville",
            "la vallée de la rivière",
            "les collines du nord",
            "la place du marché",
            "la gare",
            "la bibliothèque municipale",
            "le village de pêcheurs",
            "la mairie",
            "le jardin botanique",
        ],
        "people": [
            "les agriculteurs de la région",
            "le maire",
            "de jeunes bénévoles",
            "plusieurs enseignants",
            "un groupe d'ingénieurs",
            "le personnel du musée",
            "d'anciens marins",
            "les commerçants",
            "l'agence régionale de l'eau",
            "des étudiants de l'université",
        ],
        "things": [
            "une nouvelle piste cyclable",
            "le festival d'été",
            "la réparation du pont",
            "un jardin partagé",
            "la restauration du phare",
            "des billets de bus moins chers",
            "les digues contre les crues",
            "un marché paysan hebdomadaire",
            "les nouveaux toits solaires",
            "un club de lecture pour les enfants",
        ],
        "times": [
            "mardi dernier",
            "au début du printemps",
            "après un long hiver",
            "ces dernières semaines",
            "depuis l'automne",
            "samedi matin",
            "pendant les vacances",
            "pour la troisième année consécutive",
        ],
        "templates": [
            "Personne ne s'attendait à ce que {X} devienne le principal sujet de conversation près de {L}.",
            "De vieilles cartes conservées aux archives montrent que {L} était très différent il y a un siècle.",
            "{P} ont reconnu {T} que le budget consacré à {X} n'est toujours pas fixé.",
            "Les enfants du quartier ont peint des affiches sur {X} pour la salle des fêtes.",
            "Si la météo le permet, la première étape des travaux près de {L} sera terminée avant l'hiver.",
            "Les lecteurs qui souhaitent donner leur avis sur {X} peuvent écrire au courrier des lecteurs.",
            "{P} se sont réunis près de {L} {T} pour discuter de {X}.",
            "Selon {P}, {X} va changer la vie quotidienne autour de {L}.",
            "{T}, {P} ont présenté un projet pour {X} qui coûte moins cher que prévu.",
            "Beaucoup d'habitants près de {L} estiment que {X} aurait dû arriver plus tôt.",
            "Le débat sur {X} divise {P} depuis des mois.",
            "{P} espèrent que {X} attirera davantage de visiteurs vers {L}.",
            "Les critiques affirment que {X} ignore les besoins des personnes qui vivent près de {L}.",
            "Un sondage publié {T} montre que la plupart des familles soutiennent {X}.",
            "{P} se retrouveront le mois prochain, et une décision finale sur {X} est attendue.",
            "Des photographies prises près de {L} montrent tout ce qui a changé depuis {X}.",
        ],
        "titles": ["{X} : ce qui change", "Ce que pensent {P}", "Un nouveau chapitre pour {L}"],
    },
    "de": {
        "name": "Deutsch",
        "section": "Nachrichten",
        "read": "Weiterlesen",
        "popular": "Meistgelesen diese Woche",
        "cookie": "Wir verwenden Cookies, um Ihr Erlebnis zu verbessern. Alle akzeptieren?",
        "footer": "© 2026 Hafental-Zeitung. Alle Rechte vorbehalten. Kontakt zur Redaktion.",
        "by": "Von",
        "places": [
            "dem Hafen",
            "der Altstadt",
            "dem Flusstal",
            "den nördlichen Hügeln",
            "dem Marktplatz",
            "dem Bahnhof",
            "der Stadtbibliothek",
            "dem Fischerdorf",
            "dem Rathaus",
            "dem botanischen Garten",
        ],
        "people": [
            "die Landwirte der Region",
            "der Bürgermeister",
            "junge Freiwillige",
            "mehrere Lehrerinnen und Lehrer",
            "eine Gruppe von Ingenieuren",
            "die Mitarbeiter des Museums",
            "ehemalige Seeleute",
            "die Ladenbesitzer",
            "der regionale Wasserverband",
            "Studierende der Hochschule",
        ],
        "things": [
            "einen neuen Radweg",
            "das Sommerfest",
            "die Reparatur der Brücke",
            "einen Gemeinschaftsgarten",
            "die Restaurierung des Leuchtturms",
            "günstigere Busfahrkarten",
            "den Hochwasserschutz",
            "einen wöchentlichen Bauernmarkt",
            "die neuen Solardächer",
            "einen Leseclub für Kinder",
        ],
        "times": [
            "am vergangenen Dienstag",
            "zu Beginn des Frühlings",
            "nach einem langen Winter",
            "in den letzten Wochen",
            "seit dem Herbst",
            "am Samstagmorgen",
            "während der Ferien",
            "zum dritten Mal in Folge",
        ],
        "templates": [
            "Niemand hatte erwartet, dass {X} zum wichtigsten Gesprächsthema bei {L} werden würde.",
            "Alte Karten aus dem Archiv zeigen, dass es bei {L} vor hundert Jahren ganz anders aussah.",
            "{P} räumten {T} ein, dass das Budget für {X} noch immer nicht feststeht.",
            "Kinder aus der Nachbarschaft haben Plakate über {X} für das Rathaus gemalt.",
            "Wenn das Wetter mitspielt, soll der erste Bauabschnitt bei {L} noch vor dem Winter fertig sein.",
            "Leserinnen und Leser, die ihre Meinung zu {X} sagen wollen, können der Redaktion schreiben.",
            "{P} trafen sich {T} in der Nähe von {L}, um über {X} zu sprechen.",
            "Nach Ansicht von Fachleuten wird {X} den Alltag rund um {L} deutlich verändern.",
            "{T} stellten {P} einen Plan für {X} vor, der weniger kostet als erwartet.",
            "Viele Anwohner in der Nähe von {L} sagen, dass sie auf {X} lange gewartet haben.",
            "Die Diskussion über {X} beschäftigt {P} schon seit Monaten.",
            "{P} hoffen, dass {X} mehr Besucher zu {L} bringen wird.",
            "Kritiker meinen, dass bei der Planung für {X} die Menschen bei {L} vergessen wurden.",
            "Eine Umfrage, die {T} veröffentlicht wurde, zeigt, dass die meisten Familien {X} unterstützen.",
            "{P} wollen sich im nächsten Monat wieder treffen, und eine Entscheidung über {X} wird bald erwartet.",
            "Fotos, die bei {L} aufgenommen wurden, zeigen, wie viel sich seitdem verändert hat.",
        ],
        "titles": ["Neues von {L}", "Was {P} sagen", "Ein neues Kapitel bei {L}"],
    },
    "es": {
        "name": "Español",
        "section": "Noticias",
        "read": "Leer más",
        "popular": "Lo más leído esta semana",
        "cookie": "Usamos cookies para mejorar su experiencia. ¿Aceptar todas las cookies?",
        "footer": "© 2026 Gaceta del Valle del Puerto. Todos los derechos reservados. Contacto.",
        "by": "Por",
        "places": [
            "el puerto",
            "el casco antiguo",
            "el valle del río",
            "las colinas del norte",
            "la plaza del mercado",
            "la estación de tren",
            "la biblioteca municipal",
            "el pueblo de pescadores",
            "el ayuntamiento",
            "el jardín botánico",
        ],
        "people": [
            "los agricultores de la zona",
            "el alcalde",
            "jóvenes voluntarios",
            "varios profesores",
            "un grupo de ingenieros",
            "el personal del museo",
            "antiguos marineros",
            "los comerciantes",
            "la agencia regional del agua",
            "estudiantes de la universidad",
        ],
        "things": [
            "un nuevo carril bici",
            "el festival de verano",
            "la reparación del puente",
            "un huerto comunitario",
            "la restauración del faro",
            "billetes de autobús más baratos",
            "las defensas contra las inundaciones",
            "un mercado semanal de productores",
            "los nuevos tejados solares",
            "un club de lectura para niños",
        ],
        "times": [
            "el martes pasado",
            "a principios de la primavera",
            "después de un largo invierno",
            "en las últimas semanas",
            "desde el otoño",
            "el sábado por la mañana",
            "durante las vacaciones",
            "por tercer año consecutivo",
        ],
        "templates": [
            "Nadie esperaba que {X} se convirtiera en el principal tema de conversación cerca de {L}.",
            "Unos mapas antiguos guardados en el archivo muestran que {L} era muy distinto hace un siglo.",
            "{P} reconocieron {T} que el presupuesto para {X} todavía no está cerrado.",
            "Los niños del barrio pintaron carteles sobre {X} para el salón de actos.",
            "Si el tiempo lo permite, la primera fase de las obras cerca de {L} terminará antes del invierno.",
            "Los lectores que quieran opinar sobre {X} pueden escribir a la sección de cartas.",
            "{P} se reunieron cerca de {L} {T} para hablar sobre {X}.",
            "Según {P}, {X} cambiará la vida diaria alrededor de {L}.",
            "{T}, {P} presentaron un plan para {X} que cuesta menos de lo previsto.",
            "Muchos vecinos cerca de {L} dicen que {X} debería haber llegado hace tiempo.",
            "El debate sobre {X} divide a {P} desde hace meses.",
            "{P} esperan que {X} atraiga a más visitantes hacia {L}.",
            "Los críticos sostienen que {X} no tiene en cuenta a quienes viven cerca de {L}.",
            "Una encuesta publicada {T} muestra que la mayoría de las familias apoya {X}.",
            "{P} volverán a reunirse el mes próximo y se espera pronto una decisión sobre {X}.",
            "Las fotografías tomadas cerca de {L} muestran cuánto ha cambiado todo desde entonces.",
        ],
        "titles": ["Novedades en {L}", "Lo que opinan {P}", "Un nuevo capítulo para {L}"],
    },
}

ARTICLES_PER_LANG = 11
AUTHORS = ["Mara Lind", "Jonas Weber", "Claire Dubois", "Lucía Ortega", "Tom Hardy", "Ana Silva"]
DUPLICATES = [("en", 2), ("fr", 4), ("de", 1)]  # republished under /<lang>/archive/


def cap(s: str) -> str:
    return s[0].upper() + s[1:]


def sentence(rng: random.Random, lang: dict, template: str, topic: str, place: str) -> str:
    return cap(
        template.format(
            P=rng.choice(lang["people"]),
            L=place if rng.random() < 0.35 else rng.choice(lang["places"]),
            T=rng.choice(lang["times"]),
            X=topic if rng.random() < 0.35 else rng.choice(lang["things"]),
        )
    )


def paragraph(
    rng: random.Random, lang: dict, topic: str, place: str, pool: list[str] | None = None
) -> str:
    """Two to four sentences; templates come from ``pool`` (used up across an article, so an
    article never repeats a sentence pattern) or from the whole list."""
    if pool is None:
        pool = rng.sample(lang["templates"], k=len(lang["templates"]))
    k = min(len(pool), rng.randint(2, 4))
    templates = [pool.pop() for _ in range(k)]
    return " ".join(sentence(rng, lang, t, topic, place) for t in templates)


def page(
    title: str,
    lang_code: str,
    lang: dict,
    body: str,
    *,
    author: str | None = None,
    date: str | None = None,
    description: str | None = None,
) -> str:
    nav = " ".join(
        f'<li><a href="/{code}/">{html.escape(info["name"])}</a></li>'
        for code, info in LANGS.items()
    )
    popular = "".join(
        f'<li><a href="/{lang_code}/articles/{i:02d}.html">{html.escape(lang["read"])} #{i}</a></li>'
        for i in range(1, 4)
    )
    meta = []
    if author:
        meta.append(f'<meta name="author" content="{html.escape(author)}">')
    if date:
        meta.append(f'<meta property="article:published_time" content="{date}">')
    if description:
        meta.append(f'<meta name="description" content="{html.escape(description)}">')
    meta_html = "\n  ".join(meta)
    return f"""<!DOCTYPE html>
<html lang="{lang_code}">
<head>
  <meta charset="utf-8">
  <title>{html.escape(title)} | Harbour Valley Gazette</title>
  {meta_html}
</head>
<body>
  <div class="cookie-banner" id="cookie-consent"><p>{html.escape(lang["cookie"])}</p><button>OK</button></div>
  <header class="site-header">
    <a class="logo" href="/">Harbour Valley Gazette</a>
    <nav class="main-nav"><ul><li><a href="/">Home</a></li> {nav} <li><a href="/private/staff.html">Staff</a></li></ul></nav>
  </header>
  <div class="layout">
    <main>
{body}
    </main>
    <aside class="sidebar">
      <h3>{html.escape(lang["popular"])}</h3>
      <ul>{popular}</ul>
    </aside>
  </div>
  <footer class="site-footer">
    <p>{html.escape(lang["footer"])}</p>
    <p><a href="/about.html">About</a> · <a href="/sitemap.xml">Sitemap</a></p>
  </footer>
</body>
</html>
"""


def main() -> None:
    rng = random.Random(20261122)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    urls: list[str] = ["/"]
    section_links: dict[str, list[str]] = {}
    articles: dict[tuple[str, int], str] = {}
    for code, lang in LANGS.items():
        links = []
        for i in range(1, ARTICLES_PER_LANG + 1):
            topic = rng.choice(lang["things"])
            place = rng.choice(lang["places"])
            title = cap(
                rng.choice(lang["titles"]).format(X=topic, L=place, P=rng.choice(lang["people"]))
            )
            author = rng.choice(AUTHORS)
            date = f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}"
            pool = rng.sample(lang["templates"], k=len(lang["templates"]))
            paras = [paragraph(rng, lang, topic, place, pool) for _ in range(rng.randint(3, 4))]
            body = [
                f"      <article>\n        <h1>{html.escape(title)}</h1>",
                f'        <p class="byline">{lang["by"]} {html.escape(author)} · <time datetime="{date}">{date}</time></p>',
            ]
            body += [f"        <p>{html.escape(p)}</p>" for p in paras]
            body.append("      </article>")
            text = page(
                title,
                code,
                lang,
                "\n".join(body),
                author=author,
                date=date,
                description=paras[0][:150],
            )
            path = f"/{code}/articles/{i:02d}.html"
            (OUT / path[1:]).parent.mkdir(parents=True, exist_ok=True)
            (OUT / path[1:]).write_text(text, encoding="utf-8")
            articles[(code, i)] = text
            urls.append(path)
            if i != ARTICLES_PER_LANG:  # the last article is reachable only through the sitemap
                links.append(f'      <li><a href="{path}">{html.escape(title)}</a></li>')
        section_links[code] = links
        index = page(
            lang["section"],
            code,
            lang,
            f'      <h1>{html.escape(lang["section"])}</h1>\n      <ul class="articles">\n'
            + "\n".join(links)
            + "\n      </ul>",
        )
        (OUT / code / "index.html").write_text(index, encoding="utf-8")
        urls.append(f"/{code}/")
    for code, i in DUPLICATES:
        path = f"/{code}/archive/{i:02d}.html"
        (OUT / path[1:]).parent.mkdir(parents=True, exist_ok=True)
        (OUT / path[1:]).write_text(articles[(code, i)], encoding="utf-8")
        urls.append(path)
        idx = OUT / code / "index.html"
        idx.write_text(
            idx.read_text(encoding="utf-8").replace(
                "      </ul>", f'      <li><a href="{path}">Archive {i}</a></li>\n      </ul>'
            ),
            encoding="utf-8",
        )
    en = LANGS["en"]
    home_body = "      <h1>Harbour Valley Gazette</h1>\n" + "\n".join(
        f'      <section><h2><a href="/{c}/">{html.escape(info["section"])}</a></h2></section>'
        for c, info in LANGS.items()
    )
    (OUT / "index.html").write_text(page("Home", "en", en, home_body), encoding="utf-8")
    about = "      <h1>About the Gazette</h1>\n" + "\n".join(
        f"      <p>{html.escape(paragraph(rng, en, 'the newspaper', 'the harbour'))}</p>"
        for _ in range(3)
    )
    (OUT / "about.html").write_text(page("About", "en", en, about), encoding="utf-8")
    urls.append("/about.html")
    (OUT / "private").mkdir()
    for name in ("staff.html", "salaries.html"):
        (OUT / "private" / name).write_text(
            page(
                "Staff only",
                "en",
                en,
                "      <h1>Staff only</h1>\n      <p>Internal page: robots.txt disallows this folder.</p>",
            ),
            encoding="utf-8",
        )
    (OUT / "robots.txt").write_text(
        "User-agent: *\nDisallow: /private/\n\nSitemap: {BASE}/sitemap.xml\n", encoding="utf-8"
    )
    entries = "\n".join(f"  <url><loc>{{BASE}}{u}</loc></url>" for u in urls)
    (OUT / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}\n</urlset>\n",
        encoding="utf-8",
    )
    print(f"wrote {sum(1 for _ in OUT.rglob('*.html'))} pages to {OUT}")


if __name__ == "__main__":
    main()
