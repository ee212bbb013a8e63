"""The demo data set of SPEC §2: Chitose and its neighbours, one resident, staff per HQ."""
import secrets
from datetime import date

from .auth import hash_password
from .dispatch import phrases
from .jurisdictions import import_headquarters
from .models import FrequentPlace, Headquarters, Resident, Staff

DEMO_HQ_CSV = "headquarters_demo.csv"
HOME_HQ_CODE = "chitose"


def _password():
    # New for every demo run: a demo reachable on a network must not have a published password.
    return secrets.token_urlsafe(9)


def seed(hq_rows):
    """Fill an empty database; return the accounts in the shape of demo-accounts.json."""
    import_headquarters(hq_rows)
    accounts = {"residents": [], "dispatchers": [], "admins": []}
    for hq in Headquarters.select().order_by(Headquarters.id):
        phrases.seed_defaults(hq)
        for role, bucket in (("dispatcher", "dispatchers"), ("admin", "admins")):
            login, password = f"{hq.code}-{role}", _password()
            Staff.create(login=login, password_hash=hash_password(password), role=role, hq=hq,
                         name=f"{hq.name} {'指令員' if role == 'dispatcher' else '管理者'}")
            accounts[bucket].append({"login": login, "password": password, "hq": hq.code})
    home = Headquarters.get(Headquarters.code == HOME_HQ_CODE)
    password = _password()
    resident = Resident.create(
        login="chitose-taro", password_hash=hash_password(password), hq=home,
        name="千歳 太郎", name_kana="チトセ タロウ", birth_date=date(1985, 4, 1), sex="男性",
        address="北海道千歳市東雲町2丁目34", phone="", fax="0123-00-0000",
        email="taro@example.jp", disability_type="聴覚障害（音声での会話ができません）",
        disability_proof="身体障害者手帳 2級", medical_history="ぜんそく", medication="吸入薬",
        emergency_contacts=[{"name": "千歳 花子", "relation": "妻", "phone": "090-0000-0000",
                             "consent": True}],
        home_lat=42.82102, home_lon=141.65088)
    FrequentPlace.create(resident=resident, label="千歳駅", address="北海道千歳市千代田町7丁目",
                         lat=42.82793, lon=141.65214, position=1)
    FrequentPlace.create(resident=resident, label="新千歳空港", address="北海道千歳市美々",
                         lat=42.78753, lon=141.68030, position=2)
    accounts["residents"].append({"login": resident.login, "password": password, "hq": home.code})
    return accounts
