app_name = "posting"

urlpatterns: list = []
