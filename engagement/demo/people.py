"""Who the demo customers are: Japanese names (with romaji for e-mail addresses), prefectures
weighted by population, age bands, plans and segments. Vocabulary only, no randomness here."""

from __future__ import annotations

SURNAMES = [
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
    ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
    ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
    ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue"),
    ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"),
    ("阿部", "abe"), ("石川", "ishikawa"), ("山下", "yamashita"), ("中島", "nakajima"),
    ("石井", "ishii"), ("小川", "ogawa"), ("前田", "maeda"), ("岡田", "okada"),
    ("長谷川", "hasegawa"), ("藤田", "fujita"), ("後藤", "goto"), ("近藤", "kondo"),
    ("村上", "murakami"), ("遠藤", "endo"), ("青木", "aoki"), ("坂本", "sakamoto"),
    ("斉藤", "saito"), ("福田", "fukuda"), ("太田", "ota"), ("西村", "nishimura"),
    ("藤井", "fujii"), ("金子", "kaneko"), ("岡本", "okamoto"), ("藤原", "fujiwara"),
    ("中野", "nakano"), ("三浦", "miura"), ("原田", "harada"), ("中川", "nakagawa"),
    ("松田", "matsuda"), ("竹内", "takeuchi"), ("小野", "ono"), ("田村", "tamura"),
    ("中山", "nakayama"), ("和田", "wada"), ("石田", "ishida"), ("森田", "morita"),
    ("上田", "ueda"), ("原", "hara"), ("内田", "uchida"), ("柴田", "shibata"),
    ("酒井", "sakai"), ("宮崎", "miyazaki"), ("横山", "yokoyama"), ("高木", "takagi"),
    ("安藤", "ando"), ("宮本", "miyamoto"), ("大野", "ono"), ("小島", "kojima"),
    ("谷口", "taniguchi"), ("工藤", "kudo"), ("今井", "imai"), ("高田", "takada"),
    ("増田", "masuda"), ("丸山", "maruyama"), ("杉山", "sugiyama"), ("村田", "murata"),
    ("大塚", "otsuka"), ("新井", "arai"), ("小山", "koyama"), ("平野", "hirano"),
    ("藤本", "fujimoto"), ("河野", "kono"), ("上野", "ueno"), ("野口", "noguchi"),
    ("武田", "takeda"), ("松井", "matsui"), ("千葉", "chiba"), ("岩崎", "iwasaki"),
    ("菅原", "sugawara"), ("木下", "kinoshita"), ("久保", "kubo"), ("佐野", "sano"),
    ("野村", "nomura"), ("松尾", "matsuo"), ("市川", "ichikawa"), ("菊地", "kikuchi"),
    ("比嘉", "higa"), ("金城", "kinjo"),
]  # fmt: skip

GIVEN_NAMES = [
    ("蓮", "ren"), ("陽翔", "haruto"), ("湊", "minato"), ("大翔", "hiroto"), ("悠真", "yuma"),
    ("翔太", "shota"), ("大輔", "daisuke"), ("健太", "kenta"), ("拓也", "takuya"),
    ("直樹", "naoki"), ("誠", "makoto"), ("浩二", "koji"), ("隆", "takashi"), ("修", "osamu"),
    ("茂", "shigeru"), ("博", "hiroshi"), ("和夫", "kazuo"), ("一郎", "ichiro"),
    ("健一", "kenichi"), ("亮", "ryo"), ("颯太", "sota"), ("樹", "itsuki"), ("悠斗", "yuto"),
    ("康介", "kosuke"), ("雄大", "yudai"), ("翼", "tsubasa"), ("達也", "tatsuya"),
    ("陽菜", "hina"), ("結衣", "yui"), ("葵", "aoi"), ("凛", "rin"), ("芽依", "mei"),
    ("さくら", "sakura"), ("美咲", "misaki"), ("愛", "ai"), ("彩", "aya"), ("舞", "mai"),
    ("千尋", "chihiro"), ("真由美", "mayumi"), ("恵子", "keiko"), ("裕子", "yuko"),
    ("直美", "naomi"), ("由美子", "yumiko"), ("幸子", "sachiko"), ("和子", "kazuko"),
    ("久美子", "kumiko"), ("明美", "akemi"), ("智子", "tomoko"), ("優子", "yuko"),
    ("花子", "hanako"), ("奈々", "nana"), ("美穂", "miho"), ("香織", "kaori"),
    ("麻衣", "mai"), ("沙織", "saori"), ("遥", "haruka"), ("七海", "nanami"), ("紬", "tsumugi"),
    ("楓", "kaede"), ("ひまり", "himari"),
]  # fmt: skip

COMPANY_WORDS = [
    ("さくら", "sakura"), ("みどり", "midori"), ("あおば", "aoba"), ("ひかり", "hikari"),
    ("東洋", "toyo"), ("北斗", "hokuto"), ("丸和", "maruwa"), ("大和", "yamato"),
    ("富士", "fuji"), ("日之出", "hinode"), ("中央", "chuo"), ("朝日", "asahi"),
]  # fmt: skip
INDUSTRIES = {
    "商事": "卸売業", "物産": "卸売業", "工業": "製造業", "食品": "食品製造業",
    "クリニック": "医療", "デザイン": "サービス業", "建設": "建設業", "不動産": "不動産業",
}  # fmt: skip
COMPANY_KINDS = [
    ("商事", "shoji"), ("物産", "bussan"), ("工業", "kogyo"), ("食品", "foods"),
    ("クリニック", "clinic"), ("デザイン", "design"), ("建設", "kensetsu"), ("不動産", "estate"),
]  # fmt: skip

# Population in units of 10,000 (2020 census, rounded): the weight of each prefecture.
PREFECTURES = [
    ("北海道", 522), ("青森県", 124), ("岩手県", 121), ("宮城県", 230), ("秋田県", 96),
    ("山形県", 107), ("福島県", 183), ("茨城県", 287), ("栃木県", 193), ("群馬県", 194),
    ("埼玉県", 734), ("千葉県", 628), ("東京都", 1405), ("神奈川県", 924), ("新潟県", 220),
    ("富山県", 103), ("石川県", 113), ("福井県", 77), ("山梨県", 81), ("長野県", 205),
    ("岐阜県", 198), ("静岡県", 363), ("愛知県", 754), ("三重県", 177), ("滋賀県", 141),
    ("京都府", 258), ("大阪府", 884), ("兵庫県", 547), ("奈良県", 132), ("和歌山県", 92),
    ("鳥取県", 55), ("島根県", 67), ("岡山県", 189), ("広島県", 280), ("山口県", 134),
    ("徳島県", 72), ("香川県", 95), ("愛媛県", 133), ("高知県", 69), ("福岡県", 513),
    ("佐賀県", 81), ("長崎県", 131), ("熊本県", 174), ("大分県", 112), ("宮崎県", 107),
    ("鹿児島県", 159), ("沖縄県", 147),
]  # fmt: skip

AGE_BANDS = [
    ("10代", 3),
    ("20代", 15),
    ("30代", 21),
    ("40代", 23),
    ("50代", 19),
    ("60代", 12),
    ("70代以上", 7),
]

# Segments: membership rank (一般 / ゴールド / プラチナ) and business customers (法人).
# share, mean latent engagement, monthly purchase rate, typical basket (yen)
SEGMENTS = {
    "一般": (0.62, -0.25, 0.55, 3800),
    "ゴールド": (0.20, 0.30, 1.00, 5200),
    "プラチナ": (0.06, 0.75, 1.50, 7800),
    "法人": (0.12, 0.05, 0.90, 28000),
}

# 定期便 (subscription) plans, lowest first; upgrades move one step up.
PLANS = ["フリー", "ライト", "スタンダード", "プレミアム"]
PLAN_WEIGHTS = [0.45, 0.25, 0.22, 0.08]

# Main way of shopping: online (web/app), in store, or both.
CHANNELS = [("オンライン中心", 0.42), ("店舗中心", 0.28), ("併用", 0.30)]

CATEGORIES = {
    "食品": ["コーヒー豆", "お米", "緑茶", "オリーブオイル", "お菓子の詰め合わせ"],
    "日用品": ["バスタオル", "シャンプー", "収納ケース", "ハンドクリーム"],
    "キッチン": ["フライパン", "マグカップ", "保存容器"],
    "ファッション": ["Tシャツ", "スニーカー", "リュック", "パジャマ"],
    "ペット": ["ドッグフード", "キャットフード"],
    "文具": ["ノート", "ボールペン"],
}
# Related-item pairs: buying in one category leads to the other.
RELATED = {
    "食品": "キッチン",
    "キッチン": "食品",
    "日用品": "日用品",
    "ファッション": "ファッション",
    "ペット": "ペット",
    "文具": "文具",
}
PREMIUM_ITEMS = [
    ("限定焙煎コーヒー ギフトセット", 12800),
    ("今治タオル プレミアムセット", 9800),
    ("南部鉄器 フライパン", 16500),
    ("国産ヒノキ 収納家具", 24800),
    ("季節の限定スイーツ詰め合わせ", 8640),
]
EVENTS = [
    "新商品の試食会",
    "オンライン料理教室",
    "会員限定セール内覧会",
    "ファンミーティング",
    "商品開発モニター会",
    "店舗のワークショップ",
]
SNS_PLATFORMS = ["Instagram", "X", "LINE", "YouTube"]


def industry_of(company_name: str) -> str:
    """The industry (業種) of a demo company, from the kind word in its name."""
    return next((v for k, v in INDUSTRIES.items() if k in company_name), "その他")
