"""Quick phrases (SPEC §3.3): what a resident most often needs to say, sent in one tap."""

# (Japanese as sent to the dispatcher, English shown beside it)
QUICK_PHRASES = (
    ("早く来てください", "Please come quickly"),
    ("動けません", "I cannot move"),
    ("ここにいます", "I am here"),
    ("外に避難しました", "I got outside"),
    ("耳が聞こえません。筆談でお願いします", "I am deaf. Please write to me"),
    ("わかりました", "Understood"),
)
