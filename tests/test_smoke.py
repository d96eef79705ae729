from tests.conftest import PASSWORD, csrf


def test_signup_lands_on_dashboard(client):
    token = csrf(client, "/signup")
    resp = client.post(
        "/signup",
        data={"company": "Acme", "name": "Ada", "email": "ada@acme.example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Acme" in page.get_data(as_text=True)
