"""The default length and quality filters on every language: real-looking prose in Chinese,
Russian, Japanese, Arabic, German, Hindi and Korean survives them; navigation pages in the same
languages do not; the steps count which languages they ran on."""

from __future__ import annotations

from pathlib import Path

import pytest

from thresher.document import Document
from thresher.pipeline.base import Pipeline
from thresher.refine.config import RefineConfig
from thresher.refine.quality import LengthFilter, languages_ran, quality_steps
from thresher.refine.segment import weighted_length, word_count

PROSE = {
    "zh": (
        "这座小城坐落在两条河流的交汇处，自古以来就是南北货物往来的重要码头。"
        "清晨时分，渔船陆续靠岸，鱼贩们在石板路上摆开摊位，空气里弥漫着潮湿的水汽。\n"
        "城里的老街保留了许多明清时期的建筑，青砖黛瓦，木门上的雕花依稀可见。"
        "近年来，当地政府投入资金修缮古宅，并鼓励居民把闲置的房屋改造成民宿和书店。\n"
        "每逢春节和端午，镇上都会举办庙会和龙舟比赛，吸引周边村庄的人们前来观看。"
        "许多在外打工的年轻人也会在这个时候回到家乡，与家人团聚，街道上热闹非凡。"
    ),
    "ru": (
        "Небольшой город стоит на слиянии двух рек и с давних времён служил важной пристанью "
        "для торговцев, которые везли зерно, лес и соль вниз по течению.\n"
        "В старой части города сохранились купеческие дома девятнадцатого века с резными "
        "наличниками. В последние годы многие из них отреставрировали, а на первых этажах "
        "открылись кафе, мастерские и небольшие музеи.\n"
        "Каждое лето здесь проходит фестиваль народной музыки, на который съезжаются гости "
        "из соседних областей. Вечером на набережной играют оркестры, а дети катаются на лодках."
    ),
    "ja": (
        "この町は二つの川が合流する場所にあり、昔から物資を運ぶ船の港として栄えてきました。"
        "朝になると漁船が次々と戻り、市場には新鮮な魚が並びます。\n"
        "古い通りには江戸時代の町家が今も残っており、格子戸や瓦屋根が当時の面影を伝えています。"
        "近年は空き家を改装した宿や喫茶店が増え、若い人たちが移り住むようになりました。\n"
        "毎年夏には川辺で花火大会が開かれ、多くの見物客が浴衣姿で訪れます。"
        "地元の人々は屋台を出し、夜遅くまでにぎわいが続きます。"
    ),
    "ar": (
        "تقع هذه المدينة الصغيرة عند ملتقى نهرين، وكانت منذ القدم ميناء مهما للتجار الذين "
        "كانوا ينقلون الحبوب والأخشاب والملح عبر النهر.\n"
        "ما زالت الأحياء القديمة تحتفظ بالبيوت الحجرية ذات الأبواب الخشبية المزخرفة، وقد "
        "قامت البلدية في السنوات الأخيرة بترميم كثير منها وتحويل بعضها إلى متاحف ومكتبات.\n"
        "وفي كل ربيع يقام مهرجان للموسيقى الشعبية يجذب الزوار من القرى المجاورة، فتمتلئ "
        "الساحات بالباعة والعائلات حتى ساعات متأخرة من الليل."
    ),
    "de": (
        "Die kleine Stadt liegt am Zusammenfluss zweier Flüsse und war schon im Mittelalter "
        "ein wichtiger Umschlagplatz für Getreide, Holz und Salz.\n"
        "In der Altstadt sind viele Fachwerkhäuser aus dem siebzehnten Jahrhundert erhalten. "
        "In den letzten Jahren wurden zahlreiche Gebäude saniert, und in den Erdgeschossen "
        "haben Cafés, Werkstätten und kleine Läden eröffnet.\n"
        "Jeden Sommer findet am Ufer ein Musikfest statt, zu dem Besucher aus der ganzen Region "
        "kommen. Am Abend spielen Kapellen auf dem Marktplatz, und die Gassen sind voller Menschen."
    ),
    "hi": (
        "यह छोटा शहर दो नदियों के संगम पर बसा है और प्राचीन काल से व्यापारियों के लिए एक "
        "महत्वपूर्ण बंदरगाह रहा है, जहाँ से अनाज, लकड़ी और नमक नावों से भेजे जाते थे।\n"
        "पुराने बाज़ार में आज भी कई सौ साल पुरानी हवेलियाँ खड़ी हैं, जिनके दरवाज़ों पर सुंदर "
        "नक्काशी है। पिछले कुछ वर्षों में इनमें से कई इमारतों की मरम्मत की गई है।\n"
        "हर साल सर्दियों में यहाँ एक मेला लगता है, जिसमें आसपास के गाँवों से हज़ारों लोग आते "
        "हैं। शाम को घाटों पर दीप जलाए जाते हैं और देर रात तक संगीत चलता रहता है।"
    ),
    "ko": (
        "이 작은 도시는 두 강이 만나는 곳에 자리 잡고 있으며, 오래전부터 곡식과 목재를 실어 "
        "나르던 중요한 나루터였습니다.\n"
        "옛 거리에는 조선 시대의 한옥이 지금도 남아 있어 당시의 모습을 느낄 수 있습니다. "
        "최근에는 빈집을 고쳐 만든 찻집과 서점이 늘어나 젊은 사람들이 찾아오고 있습니다.\n"
        "매년 가을이면 강변에서 축제가 열리고, 인근 마을 사람들이 모여 밤늦게까지 음식과 "
        "음악을 즐깁니다."
    ),
}

NAV = {
    "zh": "首页\n新闻\n体育\n财经\n科技\n娱乐\n联系我们\n关于我们\n网站地图\n版权所有",
    "ru": "Главная\nНовости\nСпорт\nЭкономика\nКонтакты\nО нас\nКарта сайта\nВойти",
    "ja": "ホーム\nニュース\nスポーツ\n経済\nお問い合わせ\n会社概要\nサイトマップ\nログイン",
    "ar": "الرئيسية\nأخبار\nرياضة\nاقتصاد\nاتصل بنا\nمن نحن\nخريطة الموقع\nتسجيل الدخول",
    "de": "Startseite\nNachrichten\nSport\nWirtschaft\nKontakt\nÜber uns\nImpressum\nAnmelden",
    "hi": "मुखपृष्ठ\nसमाचार\nखेल\nव्यापार\nसंपर्क करें\nहमारे बारे में\nसाइटमैप\nलॉग इन",
    "ko": "홈\n뉴스\n스포츠\n경제\n문의하기\n회사 소개\n사이트맵\n로그인",
}

#: a longer navigation page: many short menu lines around one line of text
LONG_NAV = {
    "zh": "\n".join(["首页", "新闻中心", "产品展示", "客户服务", "在线留言"] * 6)
    + "\n欢迎访问本公司网站，我们竭诚为您服务。",
    "ru": "\n".join(["Главная", "Каталог товаров", "Доставка", "Оплата", "Контакты"] * 6)
    + "\nДобро пожаловать в наш интернет-магазин, мы рады вам помочь.",
    "de": "\n".join(["Startseite", "Produkte", "Versand", "Zahlung", "Kontakt"] * 6)
    + "\nWillkommen in unserem Onlineshop, wir helfen Ihnen gern weiter.",
}


def _steps() -> Pipeline:
    cfg = RefineConfig()
    steps = [LengthFilter(cfg.length)]
    steps.extend(quality_steps(cfg.gopher_repetition, cfg.gopher_quality, cfg.c4, cfg.fineweb))
    return Pipeline(steps)


def _kept(text: str, lang: str) -> tuple[bool, Pipeline]:
    pipe = _steps()
    out = list(pipe.run([Document(text=text, language=lang)]))
    return bool(out), pipe


@pytest.mark.parametrize("lang", sorted(PROSE))
def test_real_prose_survives(lang: str) -> None:
    kept, pipe = _kept(PROSE[lang], lang)
    reasons = [r for st in pipe.stats for r in st.dropped]
    assert kept, reasons


@pytest.mark.parametrize("lang", sorted(NAV))
def test_navigation_pages_go(lang: str) -> None:
    kept, _ = _kept(NAV[lang], lang)
    assert not kept


@pytest.mark.parametrize("lang", sorted(LONG_NAV))
def test_long_navigation_pages_go(lang: str) -> None:
    assert weighted_length(LONG_NAV[lang]) > 200  # past the length bound: the line rules act
    kept, pipe = _kept(LONG_NAV[lang], lang)
    assert not kept
    reasons = [r for st in pipe.stats for r in st.dropped]
    assert reasons and not reasons[0].startswith("shorter"), reasons


def test_steps_count_the_languages_they_ran_on() -> None:
    pipe = _steps()
    docs = [Document(text=PROSE[lang], language=lang) for lang in ("zh", "de", "ru")]
    english = (
        "The small town stands where two rivers meet, and for centuries it was the port where "
        "traders loaded grain, timber and salt onto their boats.\n"
        "Many of the old merchant houses have been restored in recent years, and the ground "
        "floors of the buildings are now cafes, workshops and small museums.\n"
        "Every summer the town holds a music festival that brings visitors from the whole "
        "region, and in the evening bands play on the square until late at night. Children "
        "ride small boats along the quay. The bridges are lit with warm lights."
    )
    docs.append(Document(text=english, language="en"))
    list(pipe.run(docs))
    by_name = {st.name: st for st in pipe.stats}
    ran, skipped = languages_ran(by_name["fineweb"].counters)
    assert ran == {"zh": 1, "de": 1, "ru": 1, "en": 1} and skipped == {}
    ran, skipped = languages_ran(by_name["c4"].counters)
    assert ran == {"en": 1} and skipped == {"zh": 1, "de": 1, "ru": 1}
    assert languages_ran(by_name["length"].counters)[0]["zh"] == 1


def test_word_count_by_script() -> None:
    zh = "这座小城坐落在两条河流的交汇处"  # 15 characters: 10 words
    assert word_count(zh, zh.split()) == 10
    assert word_count("plain ascii words", ["plain", "ascii", "words"]) == 3
    mixed = "Python 是一种编程语言"
    assert word_count(mixed, mixed.split()) == 1 + 7 / 1.5
    thai = "เมืองเล็กๆ แห่งนี้"  # 17 Thai letters and signs, one space
    assert word_count(thai, thai.split()) == 17 / 4
    assert (
        weighted_length("中文") == 6 and weighted_length("한국") == 6 and weighted_length("ab") == 2
    )


def test_refine_summary_says_which_filters_ran_on_which_languages(tmp_path: Path) -> None:
    """`thresher refine` prints, after the drops, the languages each filter ran on; the stats
    file carries the same counters; the run summary has one line of it."""
    import io
    import json
    import subprocess
    import sys

    from rich.console import Console

    from thresher.cli.pipeline import print_summary
    from thresher.flow import FlowResult
    from thresher.stats import StepStats

    src = tmp_path / "docs.jsonl"
    with open(src, "w", encoding="utf-8") as f:
        for lang in ("zh", "de", "ru", "ja"):
            f.write(json.dumps({"id": lang, "text": PROSE[lang]}, ensure_ascii=False) + "\n")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "thresher", "refine", str(src), "-o", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "4 documents written" in done.stdout
    lines = done.stdout.splitlines()
    assert "  fineweb: ran on de 1, ja 1, ru 1, zh 1" in lines, done.stdout
    assert "  c4: ran on no document; not applied to de 1, ja 1, ru 1, zh 1" in lines
    steps = json.loads((out / "stats.json").read_text())["steps"]
    gopher = next(s for s in steps if s["name"] == "gopher_quality")
    assert gopher["counters"]["ran on zh"] == 1

    result = FlowResult(out_dir=tmp_path, steps=[StepStats.from_dict(s) for s in steps])
    buf = io.StringIO()
    print_summary(result, 1.0, Console(file=buf, width=200))
    summary = [line for line in buf.getvalue().splitlines() if line.startswith("filters:")]
    assert summary == [
        "filters:  length, gopher_repetition, gopher_quality, fineweb on every language; c4 on none"
    ]
