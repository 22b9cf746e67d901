"""scrape_page on realistic HTML, and looks_like_image on real image bytes."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from PIL import Image

from pinhaven.ingest.scrape import looks_like_image, scrape_page, sniff_image_type

NEWS_ARTICLE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tiny homes are having a moment | The Daily Planet</title>
<meta name="description" content="Across the country, people are trading square footage for freedom.">
<link rel="canonical" href="https://www.dailyplanet.example/lifestyle/2024/05/tiny-homes">
<link rel="icon" href="/favicon.ico" sizes="32x32">
<meta property="og:type" content="article">
<meta property="og:site_name" content="The Daily Planet">
<meta property="og:title" content="Tiny homes are having a moment">
<meta property="og:url" content="https://www.dailyplanet.example/lifestyle/2024/05/tiny-homes?utm_source=og">
<meta property="og:image" content="https://img.dailyplanet.example/2024/05/tiny-home-hero.jpg?w=1200&amp;h=630">
<meta property="og:image:width" content="1200"><meta property="og:image:height" content="630">
<meta property="og:image:alt" content="A tiny home in a meadow">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:image" content="https://img.dailyplanet.example/2024/05/tiny-home-hero.jpg?w=1200&amp;h=630">
<script type="application/ld+json">
{"@context":"https://schema.org","@type":"NewsArticle","headline":"Tiny homes are having a moment",
 "image":[{"@type":"ImageObject","url":"https://img.dailyplanet.example/2024/05/tiny-home-hero.jpg?w=1200&h=630",
   "width":1200,"height":630},
  "https://img.dailyplanet.example/2024/05/tiny-home-1x1.jpg"],
 "author":{"@type":"Person","name":"Lois Lane","image":"https://img.dailyplanet.example/staff/lois.jpg"},
 "publisher":{"@type":"Organization","name":"The Daily Planet",
   "logo":{"@type":"ImageObject","url":"https://img.dailyplanet.example/logo.png","width":600,"height":60}}}
</script>
</head><body>
<header><img src="/static/logo.svg" width="180" height="40" alt="The Daily Planet"></header>
<article><h1>Tiny homes are having a moment</h1>
<figure><img src="https://img.dailyplanet.example/2024/05/interior-640.jpg"
  srcset="https://img.dailyplanet.example/2024/05/interior-640.jpg 640w,
          https://img.dailyplanet.example/2024/05/interior-1600.jpg 1600w"
  sizes="(max-width: 700px) 100vw, 700px" width="640" height="427" alt="Interior"></figure>
<p>Story…</p>
<img src="https://pixel.tracker.example/p.gif?id=123" width="1" height="1" alt="">
<img src="data:image/png;base64,iVBORw0KGgo=" width="400" height="400">
</article></body></html>"""

SHOP_PRODUCT = """<!doctype html><html><head>
<title>Handwoven Market Basket – Willow &amp; Reed</title>
<meta property="og:type" content="product">
<meta property="og:title" content="Handwoven Market Basket">
<meta property="og:description" content="Large willow basket with leather handles.">
<meta property="og:image" content="http://cdn.willowreed.example/products/basket-front_1024x1024.jpg">
<meta property="og:image:secure_url" content="https://cdn.willowreed.example/products/basket-front_1024x1024.jpg">
<meta property="og:image:width" content="1024"><meta property="og:image:height" content="1024">
<meta property="og:image" content="http://cdn.willowreed.example/products/basket-side_1024x1024.jpg">
<meta property="og:image:width" content="1024"><meta property="og:image:height" content="1024">
<meta property="product:price:amount" content="89.00"><meta property="product:price:currency" content="GBP">
<script type="application/ld+json">
{
  "@context": "http://schema.org/",
  "@type": "Product",
  "name": "Handwoven Market Basket",
  "image": ["https://cdn.willowreed.example/products/basket-front_1024x1024.jpg",
            "https://cdn.willowreed.example/products/basket-detail_2048x2048.jpg"],
  "brand": {"@type": "Brand", "name": "Willow & Reed"},
  "offers": [
    {"@type": "Offer", "sku": "BSK-L", "price": "89.00", "priceCurrency": "GBP",
     "availability": "http://schema.org/InStock",},
    {"@type": "Offer", "sku": "BSK-XL", "price": "119.00", "priceCurrency": "GBP",
     "availability": "http://schema.org/OutOfStock"}
  ],
}
</script></head><body>
<div class="product__media"><img class="lazyload" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="
  data-src="//cdn.willowreed.example/products/basket-front_{width}x.jpg"
  data-srcset="//cdn.willowreed.example/products/basket-front_360x.jpg 360w,
               //cdn.willowreed.example/products/basket-front_1080x.jpg 1080w" width="1024" height="1024"></div>
</body></html>"""

RECIPE_BLOG = """<html><head><base href="https://cooking.example/recipes/">
<title>Sourdough focaccia</title>
<script type="application/ld+json">
<!--
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "Cooking Example"},
  {"@type": ["Recipe"], "name": "Sourdough focaccia", "description": "Airy, olive-oily, easy.",
   "image": {"@type": "ImageObject", "contentUrl": "img/focaccia.jpg", "width": {"@type": "QuantitativeValue",
   "value": "1600"}, "height": "1200"}}
]}
-->
</script></head><body>
<img src="img/step-1.jpg" width="600" height="400"><img src="img/step-2.jpg" width="600" height="400">
<img src="/static/icons/print.png" width="24" height="24"><img src="img/author.jpg">
</body></html>"""


def test_news_article() -> None:
    info = scrape_page(NEWS_ARTICLE, base_url="https://www.dailyplanet.example/lifestyle/2024/05/tiny-homes")
    assert info.title == "Tiny homes are having a moment"
    assert info.description == "Across the country, people are trading square footage for freedom."
    assert info.canonical_url == "https://www.dailyplanet.example/lifestyle/2024/05/tiny-homes"
    assert info.site_name == "The Daily Planet"
    assert info.product is None
    urls = [image.url for image in info.images]
    hero = "https://img.dailyplanet.example/2024/05/tiny-home-hero.jpg?w=1200&h=630"
    assert urls[0] == hero
    assert urls.count(hero) == 1  # og, twitter and JSON-LD mentions merge into one candidate
    assert info.images[0].source == "og:image" and (info.images[0].width, info.images[0].height) == (
        1200,
        630,
    )
    assert "https://img.dailyplanet.example/2024/05/interior-1600.jpg" in urls  # srcset's largest candidate
    assert "https://img.dailyplanet.example/2024/05/interior-640.jpg" not in urls
    assert "https://img.dailyplanet.example/2024/05/tiny-home-1x1.jpg" in urls
    for skipped in ("logo.svg", "pixel.tracker", "data:", "lois.jpg", "logo.png", "favicon"):
        assert not any(skipped in url for url in urls), skipped


def test_shop_product_with_offers_and_lazy_images() -> None:
    info = scrape_page(SHOP_PRODUCT, base_url="https://willowreed.example/products/market-basket")
    assert info.title == "Handwoven Market Basket"
    assert info.product is not None
    assert info.product.price == Decimal("89.00")
    assert info.product.currency == "GBP"
    assert info.product.availability == "IN_STOCK"
    assert info.product.name == "Handwoven Market Basket"
    urls = [image.url for image in info.images]
    assert urls[:2] == [
        "http://cdn.willowreed.example/products/basket-front_1024x1024.jpg",
        "http://cdn.willowreed.example/products/basket-side_1024x1024.jpg",
    ]
    assert "https://cdn.willowreed.example/products/basket-detail_2048x2048.jpg" in urls
    assert (
        "https://cdn.willowreed.example/products/basket-front_1080x.jpg" in urls
    )  # data-srcset, scheme-relative


def test_recipe_blog_with_base_href_commented_json_ld_and_graph() -> None:
    info = scrape_page(RECIPE_BLOG, base_url="https://cooking.example/2024/focaccia")
    assert info.title == "Sourdough focaccia"
    assert info.description == "Airy, olive-oily, easy."
    assert info.site_name == "Cooking Example"
    assert info.canonical_url is None
    assert [(i.url, i.width, i.height) for i in info.images] == [
        ("https://cooking.example/recipes/img/focaccia.jpg", 1600, 1200),
        ("https://cooking.example/recipes/img/step-1.jpg", 600, 400),
        ("https://cooking.example/recipes/img/step-2.jpg", 600, 400),
        ("https://cooking.example/recipes/img/author.jpg", None, None),
    ]


def test_og_image_sizes_attach_to_the_image_they_follow() -> None:
    html = """<meta property="og:image" content="/a.jpg"><meta property="og:image" content="/b.jpg">
    <meta property="og:image:width" content="40"><meta property="og:image:height" content="40">
    <meta property="og:image" content="/c.jpg"><meta property="og:image:width" content="2000">
    <meta property="og:image:height" content="1000"><meta property="og:image:type" content="image/jpeg">
    <meta property="og:image" content="/d"><meta property="og:image:type" content="image/svg+xml">"""
    info = scrape_page(html, base_url="https://x.example/")
    assert [(i.url, i.width) for i in info.images] == [
        ("https://x.example/c.jpg", 2000),
        ("https://x.example/a.jpg", None),
    ]


def test_title_falls_back_from_og_to_twitter_to_title_to_h1() -> None:
    base = "https://x.example/"
    assert scrape_page('<meta name="twitter:title" content="T"><title>X</title>', base_url=base).title == "T"
    assert scrape_page("<title>\n  Plain   title \n</title>", base_url=base).title == "Plain title"
    assert scrape_page("<body><h1>Heading <b>only</b></h1></body>", base_url=base).title == "Heading only"
    assert scrape_page("<p>nothing</p>", base_url=base).title is None


def test_canonical_falls_back_to_og_url_and_ignores_non_http() -> None:
    base = "https://x.example/page"
    html = '<meta property="og:url" content="/canon">'
    assert scrape_page(html, base_url=base).canonical_url == "https://x.example/canon"
    html = '<link rel="canonical" href="javascript:alert(1)">'
    assert scrape_page(html, base_url=base).canonical_url is None


def test_larger_declared_images_rank_first_and_ties_keep_document_order() -> None:
    html = """<img src="/small.jpg" width="300" height="200"><img src="/big.jpg" width="1200" height="800">
    <img src="/same-a.jpg" width="500" height="500"><img src="/same-b.jpg" width="500" height="500">"""
    urls = [i.url for i in scrape_page(html, base_url="https://x.example/").images]
    assert urls == [f"https://x.example/{n}.jpg" for n in ("big", "same-a", "same-b", "small")]


def test_srcset_picks_the_sharpest_candidate_and_keeps_the_declared_size() -> None:
    html = '<img src="/a.jpg" srcset="/a.jpg 1x, /a@3x.jpg 3x, /a@2x.jpg 2x" width="200" height="100">'
    [image] = scrape_page(html, base_url="https://x.example/").images
    assert (image.url, image.width, image.height) == ("https://x.example/a@3x.jpg", 200, 100)
    html = '<img srcset="/s.jpg 300w, /l.jpg 1200w">'
    [image] = scrape_page(html, base_url="https://x.example/").images
    assert (image.url, image.width, image.height) == ("https://x.example/l.jpg", 1200, None)


def test_a_tracking_pixel_with_a_srcset_is_still_tiny() -> None:
    html = '<img srcset="/px.gif 1x, /px@2x.gif 2x" width="1" height="1"><img src="/ok.jpg" width="300" height="300">'
    assert [i.url for i in scrape_page(html, base_url="https://x.example/").images] == [
        "https://x.example/ok.jpg"
    ]


def test_picture_sources_take_the_size_of_their_img() -> None:
    html = """<picture><source type="image/webp" srcset="/p.webp"><source type="image/svg+xml" srcset="/p.svg">
    <img src="/p.jpg" width="800" height="600"></picture>"""
    images = scrape_page(html, base_url="https://x.example/").images
    assert [(i.url, i.width) for i in images] == [
        ("https://x.example/p.webp", 800),
        ("https://x.example/p.jpg", 800),
    ]


def test_bytes_are_decoded_by_meta_charset_or_header() -> None:
    html = '<meta charset="windows-1252"><title>Cr\u00e8me br\u00fbl\u00e9e</title>'.encode("cp1252")
    assert scrape_page(html, base_url="https://x.example/").title == "Crème brûlée"
    plain = "<title>\u00c9t\u00e9</title>".encode("latin-1")
    assert scrape_page(plain, base_url="https://x.example/").title == "Été"  # not UTF-8: windows-1252
    assert scrape_page(plain, base_url="https://x.example/", encoding="iso-8859-1").title == "Été"
    utf8 = "<title>\u65e5\u672c</title>".encode()
    assert scrape_page(utf8, base_url="https://x.example/").title == "日本"


def test_garbage_does_not_crash() -> None:
    for html in (
        "",
        "<<<>>>",
        "\x00\x01",
        b"\xff\xfe\x00",
        "<script type='application/ld+json'>{{{</script>",
    ):
        info = scrape_page(html, base_url="https://x.example/")
        assert info.images == ()


def _image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "jpeg"), ("PNG", "png"), ("GIF", "gif"), ("WEBP", "webp"),
                                           ("BMP", "bmp"), ("TIFF", "tiff")])  # fmt: skip
def test_real_images_are_recognised_whatever_the_content_type(fmt: str, name: str) -> None:
    body = _image_bytes(fmt)
    assert sniff_image_type(body) == name
    assert looks_like_image("text/html", body)


@pytest.mark.parametrize(
    "body",
    [b"<!doctype html><html></html>", b"BMW is a car maker", b"GIF8", b"", b"%PDF-1.7", b'<svg xmlns="x"/>'],
)
def test_pages_and_other_files_are_not_images_even_if_labelled_so(body: bytes) -> None:
    assert not looks_like_image("image/png", body)


def test_relative_urls_that_merely_start_like_schemes_are_kept() -> None:
    html = """<img src="javascript-guide.jpg" width="400" height="300"><img src="javascript:void(0)" width="500"
    height="500"><img src="blob:https://x.example/1" width="500" height="500">"""
    assert [i.url for i in scrape_page(html, base_url="https://x.example/a/").images] == [
        "https://x.example/a/javascript-guide.jpg"
    ]


def test_a_page_with_thousands_of_images_is_bounded() -> None:
    imgs = "".join(f'<img src="/i/{n}.jpg" width="{100 + n}" height="100">' for n in range(3000))
    info = scrape_page(f"<body>{imgs}</body>", base_url="https://x.example/")
    assert len(info.images) == 50
    assert info.images[0].url == "https://x.example/i/399.jpg"  # only the first 400 <img> are considered


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", "avif"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "heic"),
        (b"\x00\x00\x00\x0cJXL \r\n\x87\n\x00\x00", "jxl"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00", None),  # an MP4 video is not an image
    ],
)
def test_container_formats_are_sniffed_by_brand(head: bytes, name: str | None) -> None:
    assert sniff_image_type(head) == name


def test_product_meta_tags_are_a_fallback_for_pages_without_json_ld() -> None:
    html = """<meta property="og:type" content="product"><meta property="product:price:amount" content="1.299,00">
    <meta property="product:price:currency" content="eur"><meta property="product:availability" content="in stock">"""
    info = scrape_page(html, base_url="https://x.example/")
    assert info.product is not None
    assert (info.product.price, info.product.currency, info.product.availability) == (
        Decimal("1299.00"),
        "EUR",
        "IN_STOCK",
    )
