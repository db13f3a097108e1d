def test_partner_dashboard_after_sign_in(client, make, login_as):
    partner = make.partner()
    user = make.partner_user(partner)
    response = login_as.partner(user)
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert b"Dashboard" in page.data
