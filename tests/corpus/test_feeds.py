"""RSS and Atom feeds (news and wire feeds) read as articles, one per item."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from corpus.article import Article
from corpus.load import Skipped, read_articles

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Riverton Wire</title>
  <link>https://wire.example.org/</link>
  <description>Regional wire service</description>
  <item>
    <title>Flooding closes bridge in Riverton</title>
    <link>https://wire.example.org/2021/bridge</link>
    <guid isPermaLink="false">https://wire.example.org/id/881</guid>
    <pubDate>Tue, 02 Mar 2021 09:30:00 -0500</pubDate>
    <dc:creator>Ana Kovač</dc:creator>
    <description>Heavy rain flooded the valley.</description>
    <content:encoded><![CDATA[<p>Heavy rain flooded the Riverton valley on Monday.</p>
      <p>The Old Mill bridge was closed, <b>police</b> said.<br>Share this article</p>
      <script>alert(1)</script>]]></content:encoded>
  </item>
  <item>
    <title>Rockets win championship</title>
    <link>https://wire.example.org/2021/rockets</link>
    <guid>4471</guid>
    <source url="https://sportsdaily.example.com/rss">Sports Daily</source>
    <pubDate>Mon, 10 May 2021 22:00:00 GMT</pubDate>
    <description>&lt;p&gt;The Riverton Rockets won the regional basketball championship on Saturday.&lt;/p&gt;
    </description>
  </item>
  <item>
    <title>Photo gallery</title>
    <link>https://wire.example.org/gallery</link>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="text">Harbour News</title>
  <id>tag:harbour.example.net,2021:feed</id>
  <entry>
    <title>Harbour fire destroys three boats</title>
    <link rel="self" href="https://harbour.example.net/api/17"/>
    <link href="https://harbour.example.net/fire"/>
    <id>tag:harbour.example.net,2021:17</id>
    <updated>2021-06-02T10:00:00Z</updated>
    <published>2021-06-01T07:15:00Z</published>
    <author><name>Alun Prŷce</name><email>alun@harbour.example.net</email></author>
    <summary>A fire in Porthwen harbour.</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>A fire broke out in Porthwen harbour
      early on Tuesday and destroyed three fishing boats.</p><p>Nobody was hurt.</p></div></content>
  </entry>
  <entry>
    <title>Ferry route opens</title>
    <id>tag:harbour.example.net,2021:18</id>
    <updated>2021-06-03T10:00:00Z</updated>
    <summary type="html">&lt;p&gt;A new ferry route links Porthwen &amp;amp; Aberdyfi.&lt;/p&gt;</summary>
    <source><title>Coast Gazette</title><id>tag:coast.example,2021:feed</id></source>
  </entry>
</feed>
"""

RSS1 = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://old.example.org/"><title>Old Times</title></channel>
  <item rdf:about="https://old.example.org/1">
    <title>Council approves budget</title>
    <link>https://old.example.org/1</link>
    <dc:date>2004-11-20</dc:date>
    <description>The town council approved the 2005 budget after a long debate.</description>
  </item>
</rdf:RDF>
"""


def read(path: Path) -> list[Article | Skipped]:
    return list(read_articles([path]))


def line_of(text: str, part: str, nth: int = 0) -> int:
    return [n for n, line in enumerate(text.splitlines(), start=1) if part in line][nth]


def test_rss_items_are_articles_with_their_metadata(tmp_path: Path) -> None:
    (tmp_path / "wire.rss").write_text(RSS, encoding="utf-8")
    first, second, empty = read(tmp_path / "wire.rss")
    assert first == Article(
        id="https://wire.example.org/id/881",
        title="Flooding closes bridge in Riverton",
        # the full content, not the summary; HTML reduced to paragraphs, script and share bar gone
        text="Heavy rain flooded the Riverton valley on Monday.\n\nThe Old Mill bridge was closed, police said.",
        date="2021-03-02",
        source="Riverton Wire",
        url="https://wire.example.org/2021/bridge",
        extra=(("author", "Ana Kovač"), ("feed", "Riverton Wire")),
    )
    # escaped HTML in the description; the outlet the wire took the story from; a bare guid
    # becomes unique beyond its feed
    assert isinstance(second, Article)
    assert second.text == "The Riverton Rockets won the regional basketball championship on Saturday."
    assert (second.id, second.source, second.date) == ("Riverton Wire:4471", "Sports Daily", "2021-05-10")
    place = f"{tmp_path / 'wire.rss'}:{line_of(RSS, '<item>', 2)}"
    assert empty == Skipped(place, "feed item has no description or content")


def test_atom_entries_and_rss_1(tmp_path: Path) -> None:
    (tmp_path / "harbour.atom").write_text(ATOM, encoding="utf-8")
    fire, ferry = read(tmp_path / "harbour.atom")
    assert isinstance(fire, Article) and isinstance(ferry, Article)
    assert fire.text == (
        "A fire broke out in Porthwen harbour early on Tuesday and destroyed three fishing boats.\n\nNobody was hurt."
    )
    assert (fire.id, fire.url, fire.date, fire.source) == (
        "tag:harbour.example.net,2021:17", "https://harbour.example.net/fire", "2021-06-01", "Harbour News"
    )
    assert dict(fire.extra)["author"] == "Alun Prŷce"
    assert ferry.text == "A new ferry route links Porthwen & Aberdyfi."
    assert (ferry.source, ferry.url, ferry.date) == ("Coast Gazette", None, "2021-06-03")
    (tmp_path / "old.xml").write_text(RSS1, encoding="utf-8")
    (budget,) = read(tmp_path / "old.xml")
    assert isinstance(budget, Article)
    assert (budget.title, budget.source, budget.date) == ("Council approves budget", "Old Times", "2004-11-20")


def test_gzipped_feeds_and_folders_of_feed_snapshots(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "0900.rss").write_text(RSS, encoding="utf-8")
    with gzip.open(tmp_path / "feeds" / "1000.rss.gz", "wt", encoding="utf-8") as f:
        f.write(RSS)
    got = [a for a in read(tmp_path / "feeds") if isinstance(a, Article)]
    # the same items in two snapshots keep their ids, so ingest counts them once
    assert [a.id for a in got] == ["https://wire.example.org/id/881", "Riverton Wire:4471"] * 2


def test_a_broken_feed_keeps_the_items_before_the_error(tmp_path: Path) -> None:
    broken = RSS.replace("<title>Rockets win championship</title>", "<title>Rockets win <b>championship</title>")
    (tmp_path / "broken.rss").write_text(broken, encoding="utf-8")
    first, error = read(tmp_path / "broken.rss")
    assert isinstance(first, Article) and first.title == "Flooding closes bridge in Riverton"
    assert isinstance(error, Skipped) and error.place == f"{tmp_path / 'broken.rss'}:{line_of(broken, 'win <b>')}"
    assert error.reason.startswith("invalid XML: ")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("<?xml version=\"1.0\"?><urlset><url><loc>https://x.org</loc></url></urlset>", "its root is <urlset>"),
        ("<rss><channel><title>x</title>", "invalid XML"),
        ("not XML at all", "invalid XML"),
    ],
)
def test_xml_that_is_no_feed_is_skipped_with_a_reason(tmp_path: Path, content: str, reason: str) -> None:
    (tmp_path / "f.xml").write_text(content, encoding="utf-8")
    (skip,) = read(tmp_path / "f.xml")
    assert isinstance(skip, Skipped) and reason in skip.reason and skip.place.startswith(str(tmp_path / "f.xml"))


def test_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    hostile = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY leak SYSTEM "file://{secret}"> <!ENTITY a "aaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"> <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<rss><channel><title>T</title><item><title>Item</title>
<description>Read this: &leak; and &c; then the rest of the story about the harbour.</description>
</item></channel></rss>
"""
    (tmp_path / "x.rss").write_text(hostile, encoding="utf-8")
    (item,) = read(tmp_path / "x.rss")
    assert isinstance(item, Article)
    assert "TOP-SECRET" not in item.text and "aaaa" not in item.text and "the harbour" in item.text


@pytest.mark.parametrize(
    ("description", "text"),
    [
        ("Tom &amp;amp; Jerry return to the Riverton stage.", "Tom & Jerry return to the Riverton stage."),
        ("Prices rose 5% in May &lt;br&gt; and again in June.", "Prices rose 5% in May and again in June."),
        (
            "A summary first. &lt;p&gt;Then the story.&lt;/p&gt; And a last word.",
            "A summary first.\n\nThen the story.\n\nAnd a last word.",
        ),
        ("AT&amp;T and a &lt; b stay as they are.", "AT&T and a < b stay as they are."),
    ],
)
def test_descriptions_are_html_whose_text_is_kept_whole(tmp_path: Path, description: str, text: str) -> None:
    entry = f"<item><title>I</title><description>{description}</description></item>"
    feed = f"<rss><channel><title>T</title>{entry}</channel></rss>"
    (tmp_path / "f.rss").write_text(feed, encoding="utf-8")
    (item,) = read(tmp_path / "f.rss")
    assert isinstance(item, Article) and item.text == text


G2 = """<?xml version="1.0" encoding="UTF-8"?>
<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">
  <header><sent>2021-03-02T09:31:00Z</sent></header>
  <itemSet>
    <newsItem guid="urn:newsml:wire.example:20210302:881" version="2" standard="NewsML-G2">
      <catalogRef href="http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_36.xml"/>
      <itemMeta>
        <itemClass qcode="ninat:text"/>
        <provider literal="Riverton Wire"/>
        <versionCreated>2021-03-03T08:00:00Z</versionCreated>
        <firstCreated>2021-03-02T09:00:00Z</firstCreated>
        <title>RIVERTON-FLOOD</title>
      </itemMeta>
      <contentMeta>
        <contentCreated>2021-03-02T08:45:00Z</contentCreated>
        <creditline>Riverton Wire / Valley Ledger</creditline>
        <headline>Flooding closes bridge in Riverton</headline>
        <by>Ana Kovač</by>
      </contentMeta>
      <contentSet>
        <inlineXML contenttype="application/xhtml+xml">
          <html xmlns="http://www.w3.org/1999/xhtml"><head><title>Flood</title></head>
          <body><p>Heavy rain flooded the Riverton valley on Monday.</p><p>The Old Mill bridge was closed.</p></body>
          </html>
        </inlineXML>
      </contentSet>
    </newsItem>
    <newsItem guid="urn:newsml:wire.example:20210302:882" version="1" standard="NewsML-G2">
      <itemMeta><itemClass qcode="ninat:picture"/><provider qcode="nprov:RIVWIRE"/></itemMeta>
      <contentMeta><headline>Bridge under water</headline></contentMeta>
      <contentSet><remoteContent href="https://wire.example/pic/882.jpg"/></contentSet>
    </newsItem>
    <newsItem guid="urn:newsml:wire.example:20210302:883" version="1" standard="NewsML-G2">
      <itemMeta><itemClass qcode="ninat:text"/><provider qcode="nprov:RIVWIRE"/></itemMeta>
      <contentMeta><headline>Rockets win</headline></contentMeta>
      <contentSet><inlineData contenttype="text/plain">The Rockets won the regional final.</inlineData></contentSet>
    </newsItem>
  </itemSet>
</newsMessage>
"""


def test_newsml_g2_news_items_are_articles(tmp_path: Path) -> None:
    (tmp_path / "wire.xml").write_text(G2, encoding="utf-8")
    flood, picture, rockets = read(tmp_path / "wire.xml")
    assert flood == Article(
        id="urn:newsml:wire.example:20210302:881",
        title="Flooding closes bridge in Riverton",
        text="Heavy rain flooded the Riverton valley on Monday.\n\nThe Old Mill bridge was closed.",
        date="2021-03-02",
        source="Riverton Wire / Valley Ledger",
        extra=(("author", "Ana Kovač"),),
    )
    assert picture == Skipped(
        f"{tmp_path / 'wire.xml'}:{line_of(G2, 'newsItem guid', 1)}", "news item has no text (a picture or video item?)"
    )
    assert isinstance(rockets, Article)
    assert (rockets.text, rockets.source, rockets.date) == ("The Rockets won the regional final.", "RIVWIRE", None)
    (tmp_path / "one.xml").write_text(G2[G2.index("<newsItem") : G2.index("</newsItem>") + 11], encoding="utf-8")
    (alone,) = read(tmp_path / "one.xml")  # one newsItem on its own, without its namespace declared
    assert isinstance(alone, Article) and alone.title == "Flooding closes bridge in Riverton"


NITF = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nitf SYSTEM "http://www.nitf.org/IPTC/NITF/3.3/specification/dtd/nitf-3-3.dtd">
<nitf change.date="June 10, 2005" change.time="19:30" version="-//IPTC//DTD NITF 3.3//EN">
  <head>
    <title>COUNCIL APPROVES BUDGET</title>
    <meta content="15" name="publication_day_of_month"/>
    <docdata>
      <doc-id id-string="881"/>
      <doc.copyright holder="The Riverton Post" year="1987"/>
    </docdata>
    <pubdata date.publication="19870615T000000" ex-ref="https://post.example/1987/06/15/budget"
             name="The Riverton Post" unit-of-measure="word"/>
  </head>
  <body>
    <body.head>
      <hedline><hl1>Council Approves Budget After Long Debate</hl1></hedline>
      <byline class="print_byline">By ANA KOVAC</byline>
      <abstract><p>The council approved the budget.</p></abstract>
    </body.head>
    <body.content>
      <block class="lead_paragraph"><p>LEAD: The Riverton council approved the 1988 budget on Monday.</p></block>
      <block class="full_text">
        <p>The Riverton council approved the 1988 budget on Monday.</p>
        <p>The vote came after a debate that lasted until midnight, the mayor said.</p>
      </block>
    </body.content>
  </body>
</nitf>
"""


def test_an_nitf_document_is_one_article(tmp_path: Path) -> None:
    (tmp_path / "881.xml").write_text(NITF, encoding="utf-8")
    (article,) = read(tmp_path / "881.xml")
    assert article == Article(
        id="The Riverton Post:881",
        title="Council Approves Budget After Long Debate",
        # the full text, not the lead paragraph that repeats its opening; the DTD was not fetched
        text=(
            "The Riverton council approved the 1988 budget on Monday.\n\n"
            "The vote came after a debate that lasted until midnight, the mayor said."
        ),
        date="1987-06-15",
        source="The Riverton Post",
        url="https://post.example/1987/06/15/budget",
        extra=(("author", "By ANA KOVAC"),),
    )
    without_body = NITF[: NITF.index("<body.content>")] + "</body></nitf>"
    (tmp_path / "empty.xml").write_text(without_body, encoding="utf-8")
    (skip,) = read(tmp_path / "empty.xml")
    assert skip == Skipped(f"{tmp_path / 'empty.xml'}:3", "NITF document has no body.content text")
